/** inspect lists, and build warns about, the non-deterministic WASI imports of a module (issue 14). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sourceManifest } from '../fixtures/manifests.js';
import { VALID_WAT, wat } from '../fixtures/modules.js';
import { writeProject } from '../fixtures/projects.js';
import { runCli, tempDir } from '../helpers.js';

const CLOCKS = `(module
  (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))`;

describe('non-deterministic WASI imports', () => {
  it('build warns on stderr (not an error) and inspect lists them', async (t) => {
    const dir = join(await tempDir(t), 'p');
    await writeProject(dir, sourceManifest(), await wat(CLOCKS));
    const build = await runCli(['build', dir, '--json']);
    assert.equal(build.code, 0, build.stderr);
    assert.equal(build.json.ok, true);
    assert.match(
      build.stderr,
      /^warning: the module imports non-deterministic WASI functions \(random_get, clock_time_get\)/,
    );
    const inspect = await runCli(['inspect', build.json.bundle, '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.deepEqual(inspect.json.runtime.module.nondeterministic_imports, ['random_get', 'clock_time_get']);
    const text = await runCli(['inspect', build.json.bundle]);
    assert.match(text.stdout, /non-deterministic\s+random_get, clock_time_get/);
  });

  it('a module without them: no warning, an empty list', async (t) => {
    const dir = join(await tempDir(t), 'p');
    await writeProject(dir, sourceManifest(), await wat(VALID_WAT));
    const build = await runCli(['build', dir, '--json']);
    assert.equal(build.code, 0, build.stderr);
    assert.equal(build.stderr, '');
    const inspect = await runCli(['inspect', build.json.bundle, '--json']);
    assert.deepEqual(inspect.json.runtime.module.nondeterministic_imports, []);
  });
});
