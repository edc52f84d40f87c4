/**
 * The Rust reference `compute_cache_key` (test/oracles/cache-key-rs) as a test oracle: built once with cargo
 * from Debian's crate packages, cached in the OS temp dir under the hash of its sources, and run in batches
 * (one process for any number of requests).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

export const ORACLE_DIR = join(ROOT, 'test', 'oracles', 'cache-key-rs');
/** Everything that decides the binary: a change to any of these builds a new one. */
const SOURCES = ['Cargo.toml', 'Cargo.lock', '.cargo/config.toml', 'src/main.rs'];
const CACHE_DIR = join(tmpdir(), 'aurion-cache-key-oracle');
const INSTALL_HINT =
  'the cache-key oracle is built with cargo from Debian crate packages: ' +
  'apt-get install cargo librust-serde-json-dev librust-blake3-dev (.ci/run installs them)';

export interface OracleRequest {
  readonly name: string;
  readonly version: string;
  /** The config as JSON text, exactly as the orchestrator would receive it. */
  readonly config: string;
  readonly scope: string;
}

export type OracleResponse =
  | { readonly ok: true; readonly cache_key: string; readonly canonical_config: string }
  | { readonly ok: false; readonly error: string };

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv },
) {
  return new Promise<Ran>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {}); // a crash closes stdin early; the exit code and stderr tell why
    child.stdin.end(options.input ?? '');
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Returns the path of the oracle binary, building it when no binary for these sources exists yet. Throws
 * (never skips) when it cannot be built: CI installs cargo and the crates, so a missing toolchain is a failure.
 */
export async function buildOracle(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of SOURCES) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(ORACLE_DIR, file)));
  }
  const binary = join(CACHE_DIR, `cache-key-oracle-${hash.digest('hex').slice(0, 16)}`);
  if (await exists(binary)) return binary;

  const targetDir = join(CACHE_DIR, 'target');
  await mkdir(CACHE_DIR, { recursive: true });
  let built: Ran;
  try {
    // --locked: build exactly the crate versions in Cargo.lock, and never rewrite the committed file.
    built = await run('cargo', ['build', '--offline', '--locked', '--quiet'], {
      cwd: ORACLE_DIR,
      env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    });
  } catch (e) {
    throw new Error(`cannot run cargo (${(e as Error).message}); ${INSTALL_HINT}`);
  }
  if (built.code !== 0) {
    throw new Error(
      `cargo build of ${ORACLE_DIR} failed (exit ${built.code}); ${INSTALL_HINT}\n${built.stderr}`,
    );
  }
  // Copy then rename: a concurrent run never sees a half-written binary.
  const partial = `${binary}.${process.pid}.tmp`;
  await copyFile(join(targetDir, 'debug', 'cache-key-oracle'), partial);
  await rename(partial, binary);
  return binary;
}

/** Runs every request through one oracle process; the responses come back in request order. */
export async function runOracle(
  binary: string,
  requests: readonly OracleRequest[],
): Promise<OracleResponse[]> {
  const input = requests.map((r) => `${JSON.stringify(r)}\n`).join('');
  const ran = await run(binary, [], { input });
  if (ran.code !== 0) throw new Error(`the oracle exited with ${ran.code}: ${ran.stderr}`);
  const lines = ran.stdout.split('\n');
  if (lines.pop() !== '' || lines.length !== requests.length) {
    throw new Error(`the oracle answered ${lines.length} lines for ${requests.length} requests`);
  }
  return lines.map((line) => JSON.parse(line) as OracleResponse);
}
