/**
 * What `npm publish` would ship: `npm pack --dry-run --json` lists the tarball's files. Users get the CLI, the
 * compiled library with its type declarations, the schemas, specs and the usual documents; never the tests, the
 * benchmark, the public example *private* keys, or TypeScript sources.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers.js';

const exec = promisify(execFile);

interface PackFile {
  readonly path: string;
}

/** The tarball's file list. --ignore-scripts: `prepare` would rebuild dist/ under the running tests. */
async function packedFiles(): Promise<string[]> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { stdout } = await exec(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [pack] = JSON.parse(stdout) as [{ files: PackFile[] }];
  return pack.files.map((f) => f.path).sort();
}

describe('published package (npm pack --dry-run)', () => {
  it('ships the CLI, the compiled library, schemas, specs and documents, and nothing for developers', async () => {
    const files = await packedFiles();
    const has = (path: string) => assert.ok(files.includes(path), `the package lacks ${path}`);

    for (const path of ['package.json', 'README.md', 'CHANGELOG.md', 'bin/aurion-plugin.js']) has(path);
    for (const path of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/errors.js',
      'dist/src/errors.d.ts',
      'dist/src/core/wasm/scanner.js',
      'dist/src/core/wasm/scanner.d.ts',
      'dist/src/cli/launch.cjs',
      'dist/src/cli/main.bundle.cjs',
      'dist/src/generated/validators.js',
    ]) {
      has(path);
    }
    // Every schema and spec of the repository.
    for (const path of [
      'schemas/manifest.schema.json',
      'schemas/trust-policy.schema.json',
      'specs/plugin.proto',
    ]) {
      has(path);
    }
    // The Rust SDK's sources, which `init --template rust` vendors (src/io/sdk-sources.ts), and nothing else of it.
    for (const path of ['sdk/rust/Cargo.toml', 'sdk/rust/README.md', 'sdk/rust/src/lib.rs']) has(path);
    assert.deepEqual(
      files.filter((path) => path.startsWith('sdk/')),
      ['sdk/rust/Cargo.toml', 'sdk/rust/README.md', 'sdk/rust/src/lib.rs'],
    );
    // bin/aurion-plugin.js loads dist/src/cli/launch.cjs, and package.json's entry points must exist.
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    has(pkg.main.replace(/^\.\//, ''));
    has(pkg.types.replace(/^\.\//, ''));
    for (const bin of Object.values(pkg.bin as Record<string, string>)) has(bin);

    const unwanted = files.filter(
      (path) =>
        /^(test|bench|keys-example|examples|scripts|src|\.ci)\//.test(path) ||
        path.startsWith('dist/test/') ||
        path.startsWith('dist/bench/') ||
        (path.endsWith('.ts') && !path.endsWith('.d.ts')) ||
        /\.(key|pem|tsbuildinfo)$/.test(path) ||
        /(^|\/)(tsconfig|biome)\.json$/.test(path) ||
        path.includes('node_modules/'),
    );
    assert.deepEqual(unwanted, [], 'files users do not need are in the package');
    assert.ok(
      files.every((path) => /^(bin|dist\/src|schemas|specs|sdk\/rust)\//.test(path) || !path.includes('/')),
      `unexpected folder in the package: ${files.filter((p) => p.includes('/') && !/^(bin|dist\/src|schemas|specs|sdk\/rust)\//.test(p))}`,
    );
  });

  it('declares only what the library and CLI import at run time as dependencies', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    for (const name of ['tar-stream', '@noble/ed25519', '@types/tar-stream']) {
      assert.equal(pkg.dependencies[name], undefined, `${name} is used only by tests and the bench`);
      assert.ok(pkg.devDependencies[name], `${name} is a devDependency`);
    }
  });
});
