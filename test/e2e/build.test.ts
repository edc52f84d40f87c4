import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sourceManifest } from '../fixtures/manifests.js';
import { invalidModules, MODULE_PATH, wat } from '../fixtures/modules.js';
import { writeProject } from '../fixtures/projects.js';
import { assertCliError, runCli, tempDir } from '../helpers.js';

type T = Parameters<typeof tempDir>[0];

/** The engine's own verdict, to show that the fixtures are what they claim (lib ES2023 has no WebAssembly types). */
declare const WebAssembly: { validate(bytes: Uint8Array): boolean };

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return out;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function project(t: T, manifest?: Record<string, unknown> | string, module?: Buffer | null) {
  const root = await tempDir(t);
  const dir = join(root, 'dns-enum');
  await writeProject(dir, manifest, module);
  return { root, dir };
}

describe('build (end to end)', () => {
  it('writes the bundle and prints {"ok":true,"bundle","sha256"} (exit 0)', async (t) => {
    const { dir } = await project(t);
    const r = await runCli(['build', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const bundle = join(dir, 'dist', 'dns-enum-1.2.0.aurion');
    assert.deepEqual(r.json, { ok: true, bundle, sha256: sha256(await readFile(bundle)) });
    const listing = execFileSync('tar', ['-tzf', bundle], { encoding: 'utf8' });
    assert.equal(listing, 'manifest.json\nmodule.wasm\n');
  });

  it('prints the path and sha256 without --json; DIR defaults to the current folder', async (t) => {
    const { dir } = await project(t);
    const r = await runCli(['build'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const digest = sha256(await readFile(join(dir, 'dist', 'dns-enum-1.2.0.aurion')));
    assert.equal(r.stdout, `built dist/dns-enum-1.2.0.aurion\nsha256 ${digest}\n`);
  });

  it('-o FILE writes there', async (t) => {
    const { root, dir } = await project(t);
    const out = join(root, 'custom.aurion');
    const r = await runCli(['build', dir, '-o', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.bundle, out);
    assert.equal(r.json.sha256, sha256(await readFile(out)));
    assert.deepEqual(await readdir(dir), ['manifest.json', 'target']);
  });

  it('is reproducible, and SOURCE_DATE_EPOCH sets the entry mtimes', async (t) => {
    const { root, dir } = await project(t);
    const env = { SOURCE_DATE_EPOCH: '1767225600' };
    const a = await runCli(['build', dir, '-o', join(root, 'a.aurion'), '--json'], { env });
    const b = await runCli(['build', dir, '-o', join(root, 'b.aurion'), '--json'], { env });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json.sha256, b.json.sha256);
    assert.deepEqual(await readFile(join(root, 'a.aurion')), await readFile(join(root, 'b.aurion')));
    const listing = execFileSync('tar', ['--utc', '-tvzf', join(root, 'a.aurion')], { encoding: 'utf8' });
    assert.match(listing, /^-rw-r--r-- 0\/0 +\d+ 2026-01-01 00:00 manifest\.json$/m);
    const zero = await runCli(['build', dir, '-o', join(root, 'c.aurion'), '--json'], {
      env: { SOURCE_DATE_EPOCH: '' },
    });
    assert.notEqual(zero.json.sha256, a.json.sha256);
    assert.match(
      execFileSync('tar', ['--utc', '-tvzf', join(root, 'c.aurion')], { encoding: 'utf8' }),
      / 1970-01-01 00:00 /,
    );
  });

  it('a malformed SOURCE_DATE_EPOCH is USAGE (exit 2)', async (t) => {
    const { dir } = await project(t);
    for (const value of ['yesterday', '-1', '1.5', '99999999999999']) {
      const r = await runCli(['build', dir, '--json'], { env: { SOURCE_DATE_EPOCH: value } });
      assertCliError(r, 2, 'USAGE');
      assert.match(r.json.error.message, /SOURCE_DATE_EPOCH/);
    }
  });

  it('--max-module-size takes bytes or KiB/MiB/GiB; junk is USAGE (exit 2)', async (t) => {
    const { dir } = await project(t);
    assert.equal((await runCli(['build', dir, '--max-module-size', '1KiB', '--json'])).code, 0);
    assert.equal((await runCli(['build', dir, '--max-module-size', '1GiB', '--json'])).code, 0);
    for (const junk of ['lots', '1 MiB', '1mb', '0', '-5']) {
      assertCliError(await runCli(['build', dir, '--max-module-size', junk, '--json']), 2, 'USAGE');
    }
  });

  it('a module over --max-module-size is BUNDLE_INVALID (exit 3) with a hint', async (t) => {
    const { dir } = await project(t);
    const r = await runCli(['build', dir, '--max-module-size', '16', '--json']);
    assertCliError(r, 3, 'BUNDLE_INVALID');
    assert.match(r.stderr, /hint: .*--max-module-size/);
  });

  it('a missing manifest.json is IO_ERROR (exit 4)', async (t) => {
    const r = await runCli(['build', await tempDir(t), '--json']);
    assertCliError(r, 4, 'IO_ERROR');
    assert.match(r.json.error.message, /manifest\.json: no such file or directory/);
  });

  it('an invalid manifest is MANIFEST_INVALID (exit 3) with JSON pointers', async (t) => {
    const { dir } = await project(t, sourceManifest({ capabilities: ['Fuzz'] }));
    const r = await runCli(['build', dir, '--json']);
    assertCliError(r, 3, 'MANIFEST_INVALID');
    assert.match(JSON.stringify(r.json.error), /\/risk_class/);
  });

  it('a missing module is IO_ERROR (exit 4)', async (t) => {
    const { dir } = await project(t, sourceManifest(), null);
    const r = await runCli(['build', dir, '--json']);
    assertCliError(r, 4, 'IO_ERROR');
    assert.ok(r.json.error.message.includes(MODULE_PATH), r.json.error.message);
  });

  it('an invalid wasm module is WASM_INVALID (exit 3), nothing written', async (t) => {
    const { dir } = await project(t, sourceManifest(), await wat('(module (func (export "main")))'));
    const r = await runCli(['build', dir, '--json']);
    assertCliError(r, 3, 'WASM_INVALID');
    assert.deepEqual(await readdir(dir), ['manifest.json', 'target']);
  });

  it('a module WebAssembly.validate refuses is WASM_INVALID (exit 3), nothing written', async (t) => {
    for (const [what, module] of Object.entries(await invalidModules())) {
      assert.equal(WebAssembly.validate(module), false, what);
      const { dir } = await project(t, sourceManifest(), module);
      const r = await runCli(['build', dir, '--json']);
      assertCliError(r, 3, 'WASM_INVALID');
      assert.match(r.json.error.message, /WebAssembly engine refuses it: .+ \(.*byte offset \d+/, what);
      assert.deepEqual(await readdir(dir), ['manifest.json', 'target'], what);
    }
  });

  it('a valid module with a 16 MiB data segment and a custom section builds, and inspect reads it', async (t) => {
    const size = 16 * 1024 * 1024;
    const base = await wat('(module (memory 300) (func (export "run")))');
    const payload = Buffer.alloc(size, 0x0b); // the end opcode everywhere: payload bytes are never parsed
    const segment = Buffer.from([1, 0, 0x41, 0, 0x0b, ...leb(size)]);
    const data = Buffer.concat([Buffer.from([11, ...leb(segment.length + size)]), segment, payload]);
    const name = Buffer.from([4, ...Buffer.from('meta')]);
    const custom = Buffer.concat([Buffer.from([0, ...leb(name.length + size)]), name, payload]);
    const module = Buffer.concat([base, data, custom]);
    assert.equal(WebAssembly.validate(module), true);
    const { dir } = await project(t, sourceManifest(), module);
    const r = await runCli(['build', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const inspect = await runCli(['inspect', r.json.bundle, '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(inspect.json.runtime.module.size, module.length);
    assert.deepEqual(inspect.json.runtime.module.custom_sections, [
      { name: 'meta', size: name.length + size },
    ]);
  });

  it('bytes that are not wasm at all are WASM_INVALID (exit 3)', async (t) => {
    const { dir } = await project(t, sourceManifest(), Buffer.from('not wasm'));
    assertCliError(await runCli(['build', dir, '--json']), 3, 'WASM_INVALID');
  });

  it('an unwritable output is IO_ERROR (exit 4)', async (t) => {
    const { root, dir } = await project(t);
    const r = await runCli(['build', dir, '-o', join(root, 'missing', 'x.aurion'), '--json']);
    assertCliError(r, 4, 'IO_ERROR');
    // dist/ is a file: the default output folder cannot be created.
    await writeFile(join(dir, 'dist'), 'in the way');
    assertCliError(await runCli(['build', dir, '--json']), 4, 'IO_ERROR');
  });

  it('replaces an existing output file atomically', async (t) => {
    const { dir } = await project(t);
    await mkdir(join(dir, 'dist'));
    await writeFile(join(dir, 'dist', 'dns-enum-1.2.0.aurion'), 'stale');
    const r = await runCli(['build', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(await readFile(r.json.bundle)), r.json.sha256);
    assert.deepEqual(await readdir(join(dir, 'dist')), ['dns-enum-1.2.0.aurion']);
  });

  it('an unknown flag is USAGE (exit 2)', async (t) => {
    const { dir } = await project(t);
    assertCliError(await runCli(['build', dir, '--sign', '--json']), 2, 'USAGE');
  });
});
