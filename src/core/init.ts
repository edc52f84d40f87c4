/** `init`: a starter manifest.json and a .gitignore that keeps private keys and dist/ out of git (SPEC §7). */
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { AurionError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { exists } from '../io/files.js';
import type { Manifest } from './types.js';

export interface InitOptions {
  readonly dir: string;
  readonly name?: string | undefined;
  readonly capabilities: readonly string[];
  readonly runtime: string;
  readonly description?: string | undefined;
  readonly force: boolean;
}

export interface InitResult {
  readonly dir: string;
  readonly files: string[];
  readonly manifest: Manifest;
}

export const GITIGNORE = `# aurion-plugin: keep private keys and build output out of git
*.key
*.pgp.key
*.pem
!*.pub
dist/
`;

export async function initProject(options: InitOptions): Promise<InitResult> {
  const dir = resolve(options.dir);
  const manifestPath = join(dir, 'manifest.json');
  const gitignorePath = join(dir, '.gitignore');
  if (!options.force) {
    for (const path of [manifestPath, gitignorePath]) {
      if (await exists(path)) {
        throw new AurionError('ALREADY_EXISTS', `${path} already exists; refusing to overwrite it`, {
          hint: 'use --force to replace it',
        });
      }
    }
  }
  const name = options.name ?? basename(dir);
  const manifest = {
    schema_version: 1,
    name,
    version: '0.1.0',
    description: options.description ?? `The ${name} Aurion plugin`,
    capabilities: options.capabilities,
    risk_class: 'Low',
    supported_scopes: [],
    runtime: options.runtime,
    ...(options.runtime === 'container'
      ? {
          container: {
            image: `registry.example/org/${name}@sha256:${'0'.repeat(64)}`,
            user: '10001:10001',
            read_only_rootfs: true,
            seccomp_profile: 'runtime/default',
            apparmor_profile: 'runtime/default',
            env: [],
          },
        }
      : {
          module: { path: `target/wasm32-wasip1/release/${name.replace(/-/g, '_')}.wasm` },
          host_imports: [],
        }),
    limits: { memory_mib: 64, timeout_seconds: 300 },
  } as unknown as Manifest;
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new AurionError('IO_ERROR', `cannot create ${dir}: ${(e as Error).message}`);
  }
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFileAtomic(gitignorePath, GITIGNORE);
  return { dir, files: [manifestPath, gitignorePath], manifest };
}
