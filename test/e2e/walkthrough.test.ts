import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, runCli, tempDir } from '../helpers.js';
import { SHARED_TARGET_DIR, wasmToolchain } from '../rust-toolchain.js';

const exec = promisify(execFile);

/** Runs the walkthrough into `work` and checks what it left: one published, verified plugin. */
async function walkthrough(work: string, env: Record<string, string>): Promise<string> {
  const { stderr } = await exec('bash', [join(ROOT, 'examples', 'walkthrough.sh'), work], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.match(stderr, /walkthrough complete/);

  // The registry holds exactly the published, verified plugin and nothing else.
  const registry = join(work, 'registry');
  assert.deepEqual((await readdir(registry)).sort(), ['index.json', 'plugins']);
  const index = JSON.parse(await readFile(join(registry, 'index.json'), 'utf8'));
  const entry = index.plugins['dns-enum']['0.1.0'];
  assert.equal(entry.risk_class, 'Low');
  assert.deepEqual(entry.capabilities, ['PassiveEnum']);

  // The pulled copy is byte-identical to the published bundle and verifies with the example key.
  const published = await readFile(join(work, 'dns-enum', 'dist', 'dns-enum-0.1.0.aurion'));
  const pulled = await readFile(join(work, 'pulled.aurion'));
  assert.ok(published.equals(pulled));
  const verify = await runCli([
    'verify',
    join(work, 'pulled.aurion'),
    '--trusted-key',
    join(ROOT, 'keys-example', 'example.pub'),
    '--json',
  ]);
  assert.equal(verify.code, 0, verify.stderr);
  assert.equal(verify.json.results[0].signer.key_id, entry.key_id);
  // It ends by running the verified plugin: the job contract held (its answer, its cache key).
  assert.match(stderr, /✓ dns-enum@0\.1\.0 job "walkthrough-1" succeeded in \d+ ms/);
  // The Rust project init wrote is there, with the SDK vendored.
  assert.match(await readFile(join(work, 'dns-enum', 'src', 'lib.rs'), 'utf8'), /export_plugin!\(DnsEnum\);/);
  return stderr;
}

describe('README walkthrough (npm run walkthrough)', () => {
  it('builds the Rust plugin with cargo where a toolchain with the WASI target is installed', async (t) => {
    const toolchain = await wasmToolchain(); // CI installs one: none is a failure
    const work = await tempDir(t);
    // A cargo target folder kept between runs (dependencies compiled once), apart from rust.test.ts's: both build
    // a crate dns_enum, and a module being linked there must never be copied by the other test half-written.
    const stderr = await walkthrough(work, { CARGO_TARGET_DIR: `${SHARED_TARGET_DIR}-walkthrough` });
    assert.match(
      stderr,
      new RegExp(`module: building with cargo \\(rustc .*, target ${toolchain.target}\\)`),
    );
    assert.doesNotMatch(stderr, /using the module committed/);
    const manifest = JSON.parse(await readFile(join(work, 'dns-enum', 'manifest.json'), 'utf8'));
    assert.equal(manifest.module.path, `target/${toolchain.target}/release/dns_enum.wasm`);
  });

  it('uses the committed module, and says so, without a toolchain (AURION_WALKTHROUGH_PREBUILT=1)', async (t) => {
    const work = await tempDir(t);
    const stderr = await walkthrough(work, { AURION_WALKTHROUGH_PREBUILT: '1' });
    assert.match(
      stderr,
      /module: AURION_WALKTHROUGH_PREBUILT=1; using the module committed in examples\/dns-enum-rust\//,
    );
    assert.doesNotMatch(stderr, /building with cargo/);
    const committed = await readFile(join(ROOT, 'examples', 'dns-enum-rust', 'dns_enum.wasm'));
    const used = await readFile(join(work, 'dns-enum', 'target', 'wasm32-wasi', 'release', 'dns_enum.wasm'));
    assert.ok(used.equals(committed));
  });
});
