import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capModuleMemory } from '../../../src/core/job/memory-cap.js';
import { scanWasm } from '../../../src/core/wasm/scanner.js';
import { wat } from '../../fixtures/modules.js';
import { expectAurionError } from '../../helpers.js';

const MIB = 1024 * 1024;

describe('capModuleMemory', () => {
  it('lowers every maximum to the cap, keeps lower ones, adds one where none is declared', async () => {
    const pages = async (text: string) => {
      const bytes = await wat(text);
      const capped = capModuleMemory(bytes, 4 * MIB);
      const before = scanWasm(bytes);
      const after = scanWasm(capped);
      // Nothing else changed.
      assert.deepEqual(after.imports, before.imports);
      assert.deepEqual(after.exports, before.exports);
      assert.ok(Buffer.from(capped).includes(Buffer.from('kept')));
      return after.memories.map((m) => [m.initialPages, m.maximumPages, m.imported]);
    };
    const rest = '(data (i32.const 0) "kept") (func (export "run") (result i32) (i32.const 0))';
    const wasi = `(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "env" "table" (table 1 funcref)) (import "env" "g" (global i32))`;
    assert.deepEqual(await pages(`(module ${wasi} (import "env" "mem" (memory 1)) ${rest})`), [
      [1, 64, true],
    ]);
    assert.deepEqual(await pages(`(module ${wasi} (memory 2 65536) ${rest})`), [[2, 64, false]]);
    assert.deepEqual(await pages(`(module ${wasi} (memory 1 3) ${rest})`), [[1, 3, false]]);
    assert.deepEqual(await pages(`(module ${wasi} (memory 1) ${rest})`), [[1, 64, false]]);
  });

  it('runs: memory.grow past the cap returns -1', async () => {
    const bytes = await wat(`(module (memory (export "memory") 1)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);
    const capped = capModuleMemory(bytes, 2 * MIB);
    const wasm = (globalThis as unknown as { WebAssembly: { instantiate(b: Uint8Array): Promise<unknown> } })
      .WebAssembly;
    const { instance } = (await wasm.instantiate(capped)) as {
      instance: { exports: { grow: (n: number) => number } };
    };
    assert.equal(instance.exports.grow(31), 1);
    assert.equal(instance.exports.grow(1), -1);
  });

  it('a module whose initial memory is above the cap fails: PLUGIN_FAILED', async () => {
    const bytes = await wat('(module (memory 32))');
    const e = await expectAurionError(() => capModuleMemory(bytes, MIB), 'PLUGIN_FAILED');
    assert.match(e.message, /memory limit of 1 MiB reached/);
  });
});
