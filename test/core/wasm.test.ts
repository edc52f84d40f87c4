import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { validateManifest } from '../../src/core/manifest.js';
import type { Manifest } from '../../src/core/types.js';
import { checkWasm, MAX_DECODED_SECTION, scanWasm, type WasmInfo, WasmScanner } from '../../src/core/wasm.js';
import { MAX_VALIDATED_BYTES } from '../../src/core/wasm-skeleton.js';
import { AurionError } from '../../src/errors.js';
import { scanWasmFile } from '../../src/io/wasm-file.js';
import { expectAurionError, tempDir } from '../helpers.js';

/** The engine's own verdict, the oracle of the differential tests (lib ES2023 has no WebAssembly types). */
declare const WebAssembly: { validate(bytes: Uint8Array): boolean };

// ---------------------------------------------------------------------------------------------------------
// Fixtures: WAT compiled with wabt, and hand-assembled bytes for what no assembler would write.

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
type Features = Parameters<Wabt['parseWat']>[2];
let wabt: Wabt;
before(async () => {
  wabt = await (await import('wabt')).default();
});

function wat(text: string, features: Features = {}): Uint8Array {
  const module = wabt.parseWat('fixture.wat', text, { annotations: true, ...features });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/**
 * wabt's native wasm-validate (.ci/run installs it) as an oracle. Under `npm test`, PATH starts with
 * node_modules/.bin, whose wasm-validate is the npm package's much slower JS build: skip it. Features are
 * enabled one by one (not --enable-all) so that newer wabt releases, which know more proposals, agree too.
 */
const WASM_VALIDATE = (() => {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir.includes('node_modules')) continue;
    if (existsSync(join(dir, 'wasm-validate'))) return join(dir, 'wasm-validate');
  }
  return 'wasm-validate';
})();
const VALIDATE_FEATURES = [
  '--enable-threads',
  '--enable-memory64',
  '--enable-multi-memory',
  '--enable-exceptions',
  '--enable-function-references',
];
function wasmValidate(file: string) {
  return spawnSync(WASM_VALIDATE, [...VALIDATE_FEATURES, file], { encoding: 'utf8' });
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Unsigned LEB128, minimal. */
function leb(value: number): number[] {
  const out: number[] = [];
  let n = value;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
function str(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...leb(bytes.length), ...bytes];
}
function sec(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}
function mod(...sections: number[][]): Uint8Array {
  return Uint8Array.from([...HEADER, ...sections.flat()]);
}

const TYPE_VOID = sec(1, [1, 0x60, 0, 0]); // one type: [] -> []
const FUNC_1 = sec(3, [1, 0]); // one function of type 0
const CODE_1 = sec(10, [1, 2, 0, 0x0b]); // one body: no locals, end
const EXPORT_RUN = sec(7, [1, ...str('run'), 0, 0]);
const MINIMAL = [TYPE_VOID, FUNC_1, EXPORT_RUN, CODE_1];

/** Valid modules no assembler writes this way (wasm-validate confirms each one below). */
const HAND_VALID = {
  // wabt's JS build refuses shared memories: limits flags 0x03 by hand.
  sharedMemory: mod(sec(5, [1, 0x03, 1, 4])),
  maxMemory32: mod(sec(5, [1, 0x01, ...leb(65536), ...leb(65536)])),
  bigMemory64: mod(sec(5, [1, 0x04, ...leb(2 ** 40)])),
  multiMemory: mod(
    sec(2, [1, ...str('env'), ...str('m'), 0x02, 0x00, 1]),
    sec(5, [2, 0x00, 2, 0x01, 0, 5]),
    sec(7, [2, ...str('a'), 2, 1, ...str('b'), 2, 2]),
  ),
  // Type section size 5 written in 5 bytes, its count 1 in 2 bytes: padding within the limit is valid.
  paddedLeb: mod([1, 0x85, 0x80, 0x80, 0x80, 0x00, 0x81, 0x00, 0x60, 0, 0], FUNC_1, EXPORT_RUN, CODE_1),
  customAnywhere: mod(
    sec(0, [...str(''), 1, 2, 3]),
    TYPE_VOID,
    sec(0, str('näme-✓')),
    FUNC_1,
    EXPORT_RUN,
    CODE_1,
    sec(0, [...str('meta'), 0, 1, 2]),
  ),
};

// ---------------------------------------------------------------------------------------------------------
// Chunkings: every fixture is fed whole, byte by byte, in fixed sizes and at random cut points.

/** A small deterministic PRNG (mulberry32), so random splits are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

function chunkings(bytes: Uint8Array): Array<[string, Uint8Array[]]> {
  const out: Array<[string, Uint8Array[]]> = [['whole', [bytes]]];
  for (const size of [1, 2, 3, 7, 64]) {
    const cuts: number[] = [];
    for (let c = size; c < bytes.length; c += size) cuts.push(c);
    out.push([`${size}-byte chunks`, split(bytes, cuts)]);
  }
  for (let seed = 1; seed <= 5; seed++) {
    const random = prng(seed);
    const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
      Math.floor(random() * bytes.length),
    );
    out.push([`random split (seed ${seed})`, split(bytes, cuts)]);
  }
  // Empty chunks must be harmless too.
  out.push(['with empty chunks', [new Uint8Array(0), ...split(bytes, [1, 9]), new Uint8Array(0)]]);
  return out;
}

function feed(chunks: readonly Uint8Array[]): WasmInfo {
  const scanner = new WasmScanner();
  for (const c of chunks) scanner.push(c);
  return scanner.finish();
}

/** Scans `bytes` in every chunking; all must give the same WasmInfo, which is returned. */
function scanAll(bytes: Uint8Array): WasmInfo {
  const expected = scanWasm(bytes);
  for (const [how, chunks] of chunkings(bytes)) assert.deepEqual(feed(chunks), expected, how);
  assert.equal(expected.size, bytes.length);
  return expected;
}

/** Every chunking must fail with WASM_INVALID, the same message, naming `offset`. */
function assertInvalid(bytes: Uint8Array, message: RegExp, offset: number): AurionError {
  let first: AurionError | undefined;
  for (const [how, chunks] of chunkings(bytes)) {
    let caught: unknown;
    try {
      feed(chunks);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof AurionError, `${how}: expected WASM_INVALID, got ${String(caught)}`);
    assert.equal(caught.code, 'WASM_INVALID', how);
    assert.equal(caught.exitCode, 3);
    assert.match(caught.message, message, how);
    assert.match(caught.message, new RegExp(`byte offset ${offset} = 0x`), `${how}: ${caught.message}`);
    if (first === undefined) first = caught;
    else assert.equal(caught.message, first.message, how);
  }
  return first!;
}

/**
 * For proposals the JavaScript engine running the tests may not ship (memory64, multi-memory in Node.js 20):
 * the module's facts when the engine validates it, and otherwise WASM_INVALID from the engine in every chunking
 * (a module the engine refuses is refused, whatever the scanner made of it).
 */
function scanIfEngineAccepts(bytes: Uint8Array, check: (info: WasmInfo) => void): void {
  if (WebAssembly.validate(bytes)) {
    check(scanAll(bytes));
    return;
  }
  for (const [how, chunks] of chunkings(bytes)) {
    assert.throws(
      () => feed(chunks),
      (e) => e instanceof AurionError && e.code === 'WASM_INVALID' && /engine refuses it/.test(e.message),
      how,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------

describe('WasmScanner on valid modules', () => {
  it('reads a minimal module with only a run export', () => {
    const info = scanAll(wat('(module (func (export "run")))'));
    assert.deepEqual(info.exports, [{ name: 'run', kind: 'func' }]);
    assert.deepEqual(info.imports, []);
    assert.deepEqual(info.memories, []);
    assert.deepEqual(info.customSections, []);
  });

  it('reads a WASI-style module: imports, exported memory, data, custom sections', () => {
    const bytes = wat(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (memory (export "memory") 17 32)
      (data (i32.const 16) "hello, world")
      (func (export "run") (result i32) i32.const 0)
      (func (export "_start"))
      (@custom "producers" "\\01\\0clanguage\\01\\04Rust\\00")
      (@custom "target_features" (after data) "\\00"))`);
    assert.deepEqual(scanAll(bytes), {
      size: bytes.length,
      imports: [
        { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'func' },
        { module: 'wasi_snapshot_preview1', name: 'proc_exit', kind: 'func' },
      ],
      exports: [
        { name: 'memory', kind: 'memory' },
        { name: 'run', kind: 'func' },
        { name: '_start', kind: 'func' },
      ],
      memories: [{ initialPages: 17, maximumPages: 32, imported: false, memory64: false, shared: false }],
      customSections: [
        { name: 'producers', size: 1 + 'producers'.length + 17 },
        { name: 'target_features', size: 1 + 'target_features'.length + 1 },
      ],
    });
  });

  it('reads every import and export kind (func, table, memory, global, tag)', () => {
    const bytes = wat(
      `(module
        (type $t (func (param i32)))
        (import "host" "f" (func (type $t)))
        (import "host" "tbl" (table 2 8 funcref))
        (import "host" "mem" (memory 3 9))
        (import "host" "g" (global (mut i64)))
        (import "host" "ext" (global externref))
        (import "host" "e" (tag (type $t)))
        (tag $own (param i32))
        (global $x i32 (i32.const 7))
        (func (export "run"))
        (export "tbl" (table 0))
        (export "mem" (memory 0))
        (export "g" (global 0))
        (export "x" (global $x))
        (export "e" (tag 0))
        (export "own" (tag $own)))`,
      { exceptions: true, reference_types: true, mutable_globals: true },
    );
    const info = scanAll(bytes);
    assert.deepEqual(info.imports, [
      { module: 'host', name: 'f', kind: 'func' },
      { module: 'host', name: 'tbl', kind: 'table' },
      { module: 'host', name: 'mem', kind: 'memory' },
      { module: 'host', name: 'g', kind: 'global' },
      { module: 'host', name: 'ext', kind: 'global' },
      { module: 'host', name: 'e', kind: 'tag' },
    ]);
    assert.deepEqual(
      info.exports.map((e) => `${e.name}:${e.kind}`),
      ['run:func', 'tbl:table', 'mem:memory', 'g:global', 'x:global', 'e:tag', 'own:tag'],
    );
    assert.deepEqual(info.memories, [
      { initialPages: 3, maximumPages: 9, imported: true, memory64: false, shared: false },
    ]);
  });

  it('reports memory64 and shared memories', () => {
    scanIfEngineAccepts(
      wat('(module (memory i64 3 70000) (func (export "run")))', { memory64: true }),
      (m64) =>
        assert.deepEqual(m64.memories, [
          { initialPages: 3, maximumPages: 70000, imported: false, memory64: true, shared: false },
        ]),
    );
    const shared = scanAll(HAND_VALID.sharedMemory);
    assert.deepEqual(shared.memories, [
      { initialPages: 1, maximumPages: 4, imported: false, memory64: false, shared: true },
    ]);
    scanIfEngineAccepts(
      wat('(module (import "env" "m" (memory i64 2)) (func (export "run")))', { memory64: true }),
      (imported64) =>
        assert.deepEqual(imported64.memories, [
          { initialPages: 2, imported: true, memory64: true, shared: false },
        ]),
    );
  });

  it('accepts the largest 32-bit memory (65536 pages) and 64-bit limits beyond 2^32 pages', () => {
    assert.deepEqual(scanAll(HAND_VALID.maxMemory32).memories, [
      { initialPages: 65536, maximumPages: 65536, imported: false, memory64: false, shared: false },
    ]);
    scanIfEngineAccepts(HAND_VALID.bigMemory64, (info) =>
      assert.deepEqual(info.memories, [
        { initialPages: 2 ** 40, imported: false, memory64: true, shared: false },
      ]),
    );
  });

  it('lists imported memories before defined ones (multi-memory)', () => {
    scanIfEngineAccepts(HAND_VALID.multiMemory, (info) =>
      assert.deepEqual(info.memories, [
        { initialPages: 1, imported: true, memory64: false, shared: false },
        { initialPages: 2, imported: false, memory64: false, shared: false },
        { initialPages: 0, maximumPages: 5, imported: false, memory64: false, shared: false },
      ]),
    );
  });

  it('skips start, element, data count, code and data sections and checks their counts', () => {
    const bytes = wat(
      `(module
        (table 1 funcref)
        (memory 1)
        (func $init)
        (func (export "run"))
        (start $init)
        (elem (i32.const 0) $init)
        (data "passive")
        (data (i32.const 0) "active"))`,
      { bulk_memory: true },
    );
    const info = scanAll(bytes);
    assert.deepEqual(info.exports, [{ name: 'run', kind: 'func' }]);
    assert.equal(info.memories.length, 1);
  });

  it('accepts padded LEB128 within the length limit (as linkers write section sizes)', () => {
    assert.deepEqual(scanAll(HAND_VALID.paddedLeb).exports, [{ name: 'run', kind: 'func' }]);
  });

  it('reads custom sections anywhere, with empty and non-ASCII names', () => {
    assert.deepEqual(scanAll(HAND_VALID.customAnywhere).customSections, [
      { name: '', size: 4 },
      { name: 'näme-✓', size: 1 + Buffer.byteLength('näme-✓') },
      { name: 'meta', size: 8 },
    ]);
  });

  it('reads a custom section whose name spans many chunks', () => {
    const name = 'x'.repeat(300);
    const bytes = mod(sec(0, [...str(name), 9, 9]), ...MINIMAL);
    assert.deepEqual(scanAll(bytes).customSections, [{ name, size: 2 + 300 + 2 }]);
  });

  it('wasm-validate (wabt) accepts every hand-assembled valid fixture', async (t) => {
    const dir = await tempDir(t);
    for (const [what, bytes] of Object.entries(HAND_VALID)) {
      const file = join(dir, `${what}.wasm`);
      await writeFile(file, bytes);
      const r = wasmValidate(file);
      assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    }
  });

  it('gives the same result for any chunking (property)', () => {
    const bytes = wat(`(module
      (import "wasi_snapshot_preview1" "fd_read" (func (param i32 i32 i32 i32) (result i32)))
      (import "host" "mem" (memory 2 4))
      (func (export "run") (result i32) i32.const 1)
      (data (i32.const 0) "some data that is skipped")
      (@custom "meta" "payload payload payload"))`);
    const expected = scanWasm(bytes);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 40 }), (cuts) => {
        assert.deepEqual(feed(split(bytes, cuts)), expected);
      }),
      { numRuns: 200 },
    );
  });

  for (const [kind, make] of [
    ['Uint8Array', (n: number) => new Uint8Array(n)],
    ['Buffer', (n: number) => Buffer.alloc(n)], // Buffer#slice is a view, not a copy
  ] as const) {
    it(`copies what it keeps: the caller may reuse its chunk buffer (${kind})`, () => {
      const bytes = mod(TYPE_VOID, sec(2, [1, ...str('wasi_snapshot_preview1'), ...str('fd_write'), 0, 0]));
      const scanner = new WasmScanner();
      const reused = make(5);
      for (let i = 0; i < bytes.length; i += 5) {
        const part = bytes.subarray(i, i + 5);
        reused.set(part);
        scanner.push(reused.subarray(0, part.length));
        reused.fill(0xff); // garbage the scanner must not see
      }
      assert.deepEqual(scanner.finish().imports, [
        { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'func' },
      ]);
    });
  }

  it('skips an 8 MiB custom section fed in 1 MiB chunks without buffering it', () => {
    const payload = 8 * 1024 * 1024;
    const header = [...str('big.payload')];
    const bytes = new Uint8Array(HEADER.length + 1 + 4 + header.length + payload);
    bytes.set([...HEADER, 0, ...leb(header.length + payload), ...header]);
    bytes.fill(0xab, bytes.length - payload);
    const scanner = new WasmScanner();
    for (let i = 0; i < bytes.length; i += 1024 * 1024) scanner.push(bytes.subarray(i, i + 1024 * 1024));
    const info = scanner.finish();
    assert.deepEqual(info.customSections, [{ name: 'big.payload', size: header.length + payload }]);
    assert.equal(info.size, bytes.length);
    assert.ok(scanner.peakBuffered <= 16, `held ${scanner.peakBuffered} bytes`);
  });

  it('streams a 512 MiB data segment and a 512 MiB custom section, holding neither', () => {
    // The same 1 MiB chunk is pushed 1024 times: only skipping can make this cheap.
    const size = 512 * 1024 * 1024;
    const scanner = new WasmScanner();
    const pushZeros = (count: number) => {
      const chunk = new Uint8Array(1024 * 1024);
      for (let left = count; left > 0; left -= chunk.length) {
        scanner.push(chunk.subarray(0, Math.min(left, chunk.length)));
      }
    };
    const segment = [1, 0, 0x41, 0, 0x0b, ...leb(size)]; // one active segment at i32.const 0
    const memory = sec(5, [1, 0, 1]);
    scanner.push(Uint8Array.from([...HEADER, ...TYPE_VOID, ...FUNC_1, ...memory, ...EXPORT_RUN, ...CODE_1]));
    scanner.push(Uint8Array.from([11, ...leb(segment.length + size), ...segment]));
    pushZeros(size);
    scanner.push(Uint8Array.from([0, ...leb(5 + size), ...str('meta')]));
    pushZeros(size);
    const info = scanner.finish();
    assert.deepEqual(info.exports, [{ name: 'run', kind: 'func' }]);
    assert.ok(scanner.peakBuffered <= 64, `buffered ${scanner.peakBuffered} bytes`);
    assert.ok(scanner.validatedBytes <= 64, `validated ${scanner.validatedBytes} bytes`);
  });
});

describe('WasmScanner on malformed modules (WASM_INVALID with the byte offset)', () => {
  const valid = mod(...MINIMAL);

  const cases: Array<[string, Uint8Array, RegExp, number]> = [
    // header
    ['an empty file', new Uint8Array(0), /the file is empty/, 0],
    ['bad magic', Uint8Array.from([0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0]), /magic bytes 00 61 73 6d/, 0],
    ['WebAssembly text', Uint8Array.from(Buffer.from('(module)')), /WebAssembly text.*wat2wasm/, 0],
    ['a truncated magic', Uint8Array.from([0x00, 0x61]), /ends inside its 8-byte header/, 2],
    [
      'a truncated header',
      Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 1, 0]),
      /ends inside its 8-byte header/,
      6,
    ],
    ['version 2', Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), /version \(bytes 02 00 00 00\)/, 4],
    ['a component', Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), /a WebAssembly component/, 4],
    // section framing
    [
      'a truncated section',
      mod([1, 5, 1, 0x60]),
      /ends inside the type section .*declares 5 bytes but only 2/,
      8,
    ],
    ['a section size past the end', mod(TYPE_VOID, [10, 0xff, 0xff, 0xff, 0x0f, 1]), /code section/, 14],
    ['a truncated section size', mod([1, 0x80]), /ends inside the size of the type section/, 8],
    [
      'an overlong section size (6 bytes)',
      mod([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
      /section size: integer representation too long/,
      9,
    ],
    [
      'a section size over 2^32',
      mod([1, 0xff, 0xff, 0xff, 0xff, 0x1f]),
      /section size: integer too large/,
      9,
    ],
    ['an unknown section id', mod([14, 0]), /unknown section id 14 \(0x0e\)/, 8],
    ['a duplicate section', mod(TYPE_VOID, TYPE_VOID), /duplicate type section/, 14],
    [
      'sections out of order',
      mod(TYPE_VOID, FUNC_1, EXPORT_RUN, sec(5, [1, 0, 1]), CODE_1),
      /the memory section must come before the export section/,
      27,
    ],
    [
      'a global section before the tag section',
      mod(TYPE_VOID, sec(6, [0]), sec(13, [0])),
      /the tag section must come before the global section/,
      17,
    ],
    [
      'a trailing byte',
      Uint8Array.from([...valid, 0x00]),
      /ends inside the size of the custom section/,
      valid.length,
    ],
    ['trailing garbage', Uint8Array.from([...valid, 0xde, 0xad]), /unknown section id 222/, valid.length],
    ['trailing zeros', Uint8Array.from([...valid, 0, 0]), /custom section: it is empty/, valid.length],
    // counts
    ['an empty type section', mod([1, 0]), /type section: it is empty but must start with a count/, 8],
    [
      'a count larger than the section',
      mod(sec(3, [100, 0])),
      /function section: declares 100 items but has only 1/,
      10,
    ],
    [
      'an overlong count (6 bytes)',
      mod(sec(1, [0x81, 0x80, 0x80, 0x80, 0x80, 0x00])),
      /type section: integer representation too long/,
      10,
    ],
    [
      'functions without code',
      mod(TYPE_VOID, FUNC_1, EXPORT_RUN),
      /declares 1 functions but the code section has 0/,
      27,
    ],
    ['code without functions', mod(TYPE_VOID, CODE_1), /declares 0 functions but the code section has 1/, 20],
    [
      'a data count mismatch',
      mod(sec(12, [2]), sec(11, [1, 1, 0])),
      /data count section says 2 .* data section has 1/,
      16,
    ],
    [
      'a start function that does not exist',
      mod(TYPE_VOID, FUNC_1, sec(8, [1]), CODE_1),
      /function index 1 does not exist/,
      20,
    ],
    [
      'a start section with bytes left over',
      mod(TYPE_VOID, FUNC_1, sec(8, [0, 0]), CODE_1),
      /start section: 1 bytes left over/,
      21,
    ],
    // imports
    [
      'an import of unknown kind',
      mod(sec(2, [1, ...str('m'), ...str('n'), 0x05])),
      /import "m"."n" has unknown kind 0x05/,
      15,
    ],
    [
      'an import name that is not UTF-8',
      mod(sec(2, [1, ...str('m'), 2, 0xc3, 0x28, 0x00, 0])),
      /import name is not valid UTF-8/,
      13,
    ],
    [
      'an import name past the section',
      mod(sec(2, [1, ...str('m'), 9, 0x61])),
      /import name of 9 bytes runs past/,
      13,
    ],
    [
      'an import count past the section',
      mod(sec(2, [50, 0])),
      /import section: declares 50 imports but has only 1/,
      10,
    ],
    [
      'an import with a missing type',
      mod(TYPE_VOID, sec(2, [1, ...str('m'), ...str('f'), 0x00, 3])),
      /uses type 3, but the module has 1 types/,
      22,
    ],
    ['an import section with leftover bytes', mod(sec(2, [0, 0])), /import section: 1 bytes left over/, 11],
    [
      'an import section cut short',
      mod(sec(2, [1, ...str('m')])),
      /unexpected end: the items run past the declared section size/,
      13,
    ],
    [
      'a global of unknown value type',
      mod(sec(2, [1, ...str('m'), ...str('g'), 0x03, 0x40, 0])),
      /unknown value type 0x40/,
      16,
    ],
    [
      'a global of unknown mutability',
      mod(sec(2, [1, ...str('m'), ...str('g'), 0x03, 0x7f, 2])),
      /unknown global mutability 0x02/,
      17,
    ],
    [
      'a table of a non-reference type',
      mod(sec(2, [1, ...str('m'), ...str('t'), 0x01, 0x7f, 0, 1])),
      /unknown reference type 0x7f/,
      16,
    ],
    [
      'a table with shared limits',
      mod(sec(2, [1, ...str('m'), ...str('t'), 0x01, 0x70, 0x03, 1, 1])),
      /invalid table limits flags 0x03/,
      17,
    ],
    [
      'a heap type that does not exist',
      mod(sec(2, [1, ...str('m'), ...str('t'), 0x01, 0x63, 0x05, 0, 1])),
      /heap type 5 does not exist/,
      17,
    ],
    [
      'a tag with an unknown attribute',
      mod(TYPE_VOID, sec(2, [1, ...str('m'), ...str('e'), 0x04, 0x01, 0])),
      /unknown tag attribute 0x01/,
      22,
    ],
    // memory limits
    ['memory with custom page sizes', mod(sec(5, [1, 0x08, 1, 16])), /custom page sizes/, 11],
    ['memory limits flags out of range', mod(sec(5, [1, 0x10, 1])), /invalid memory limits flags 0x10/, 11],
    [
      'a shared memory without maximum',
      mod(sec(5, [1, 0x02, 1])),
      /a shared memory must declare a maximum/,
      11,
    ],
    [
      'a memory maximum below its minimum',
      mod(sec(5, [1, 0x01, 5, 4])),
      /memory maximum 4 is below its initial size 5/,
      13,
    ],
    [
      'a 32-bit memory over 65536 pages',
      mod(sec(5, [1, 0x00, ...leb(65537)])),
      /initial memory of 65537 pages exceeds 65536 pages \(4 GiB\)/,
      12,
    ],
    [
      'a 32-bit memory maximum over 65536 pages',
      mod(sec(5, [1, 0x01, 1, ...leb(70000)])),
      /maximum memory of 70000 pages exceeds 65536/,
      13,
    ],
    [
      'a memory size that does not fit 32 bits',
      mod(sec(5, [1, 0x00, 0xff, 0xff, 0xff, 0xff, 0x7f])),
      /memory section: integer too large/,
      12,
    ],
    [
      'a 64-bit memory over 2^48 pages',
      mod(sec(5, [1, 0x04, ...leb(2 ** 48 + 1)])),
      /initial memory of 281474976710657 pages exceeds 2\^48 pages/,
      12,
    ],
    [
      'an overlong 64-bit limit (11 bytes)',
      mod(sec(5, [1, 0x04, ...Array(10).fill(0x80), 0x00])),
      /integer representation too long \(a u64 LEB128 takes at most 10 bytes\)/,
      12,
    ],
    [
      'a 64-bit limit over 2^64',
      mod(sec(5, [1, 0x04, ...Array(9).fill(0xff), 0x03])),
      /integer too large \(a u64/,
      12,
    ],
    [
      'an imported memory over 65536 pages',
      mod(sec(2, [1, ...str('m'), ...str('mem'), 0x02, 0x00, ...leb(65537)])),
      /initial memory of 65537 pages/,
      19,
    ],
    // exports
    [
      'a duplicate export name',
      mod(TYPE_VOID, FUNC_1, sec(7, [2, ...str('run'), 0, 0, ...str('run'), 0, 0]), CODE_1),
      /duplicate export name "run"/,
      27,
    ],
    [
      'an export of unknown kind',
      mod(TYPE_VOID, FUNC_1, sec(7, [1, ...str('run'), 7, 0]), CODE_1),
      /export "run" has unknown kind 0x07/,
      25,
    ],
    [
      'an export of a function that does not exist',
      mod(TYPE_VOID, FUNC_1, sec(7, [1, ...str('run'), 0, 1]), CODE_1),
      /refers to func 1, but the module has 1/,
      26,
    ],
    [
      'an export of a memory that does not exist',
      mod(sec(7, [1, ...str('memory'), 2, 0])),
      /refers to memory 0, but the module has 0/,
      19,
    ],
    // custom sections
    ['an empty custom section', mod([0, 0]), /custom section: it is empty but must start with a name/, 8],
    [
      'a custom name past the section',
      mod(sec(0, [10, 0x61, 0x62])),
      /its name of 10 bytes runs past the section's end \(3 bytes\)/,
      10,
    ],
    ['a custom name that is not UTF-8', mod(sec(0, [1, 0xff])), /custom section name is not valid UTF-8/, 10],
    [
      'a custom name with an overlong length',
      mod(sec(0, [0x80, 0x80, 0x80, 0x80, 0x80, 0x00])),
      /integer representation too long/,
      10,
    ],
  ];
  for (const [what, bytes, message, offset] of cases) {
    it(`rejects ${what}`, () => {
      assertInvalid(bytes, message, offset);
    });
  }

  it('wasm-validate (wabt) rejects every one of these fixtures too', async (t) => {
    const dir = await tempDir(t);
    const accepted: string[] = [];
    for (const [i, [what, bytes]] of cases.entries()) {
      const file = join(dir, `case-${i}.wasm`);
      await writeFile(file, bytes);
      const r = wasmValidate(file);
      assert.equal(r.error, undefined, `cannot run ${WASM_VALIDATE}`);
      if (r.status === 0) accepted.push(what);
    }
    assert.deepEqual(accepted, []);
  });

  it('refuses to buffer an import, memory or export section over the decode limit', () => {
    for (const id of [2, 5, 7]) {
      assertInvalid(
        mod([id, ...leb(MAX_DECODED_SECTION + 1)]),
        /section is 16777217 bytes; aurion-plugin decodes at most 16777216/,
        8,
      );
    }
  });

  it('names the source and gives a hint', () => {
    const scanner = new WasmScanner({ source: 'target/x.wasm' });
    scanner.push(Uint8Array.from([1, 2, 3, 4]));
    assert.throws(
      () => scanner.finish(),
      (err: unknown) =>
        err instanceof AurionError &&
        /not a WebAssembly binary.*\(target\/x\.wasm, byte offset 0 = 0x00\)/.test(err.message) &&
        /wasm32-wasip1/.test(err.hint ?? ''),
    );
  });

  it('stays failed: later pushes and finish rethrow the first error', () => {
    const scanner = new WasmScanner();
    assert.throws(() => scanner.push(mod([14, 0])), /unknown section id 14/);
    assert.throws(() => scanner.push(Uint8Array.from(MINIMAL.flat())), /unknown section id 14/);
    assert.throws(() => scanner.finish(), /unknown section id 14/);
  });

  it('refuses use after finish (a programming error, not WASM_INVALID)', () => {
    const scanner = new WasmScanner();
    scanner.push(mod(...MINIMAL));
    scanner.finish();
    assert.throws(
      () => scanner.push(new Uint8Array(1)),
      (e: unknown) => !(e instanceof AurionError) && /after finish/.test(String(e)),
    );
    assert.throws(() => scanner.finish(), /called twice/);
  });
});

/** WAT compiled without validation, for modules that are well-formed but invalid. */
function watUnchecked(text: string): Uint8Array {
  const module = wabt.parseWat('fixture.wat', text, { annotations: true });
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

describe('WasmScanner validates the whole module as the engine does', () => {
  // One type [] -> [], one function of it exporting run, one page of memory; the body varies.
  const withBody = (body: number[], ...extra: number[][]) =>
    mod(
      TYPE_VOID,
      FUNC_1,
      sec(5, [1, 0, 1]),
      EXPORT_RUN,
      sec(10, [1, ...leb(body.length), ...body]),
      ...extra,
    );
  // Offset of the first body byte after its locals count: header, type (6), function (4), memory (5),
  // export (9), code section id, size and count (3), body size (1), locals (1).
  const BODY_AT = 8 + 6 + 4 + 5 + 9 + 3 + 1 + 1;

  it('refuses an invalid opcode in a function body, naming its offset', () => {
    const bytes = withBody([0, 0xff, 0x0b]);
    assert.equal(WebAssembly.validate(bytes), false);
    assertInvalid(bytes, /engine refuses it: Compiling function #0 failed: invalid opcode 0xff/i, BODY_AT);
  });

  it('refuses a type error in a function body (i32.add on an empty stack)', () => {
    const bytes = watUnchecked('(module (func (export "run") i32.add drop))');
    assert.equal(WebAssembly.validate(bytes), false);
    // header 8, type 6, function 4, export 9, code id, size, count, body size, locals: i32.add at 32
    assertInvalid(bytes, /engine refuses it: Compiling function #0 failed: .*i32\.add/, 32);
  });

  it('refuses a function body whose result does not match its type', () => {
    const bytes = watUnchecked('(module (func (export "run") (result i32) i64.const 1))');
    assert.equal(WebAssembly.validate(bytes), false);
    // the body's end, where the i64 is left for an i32 result: header 8, type 7, function 4, export 9,
    // code id, size, count, body size, locals, i64.const 1 (2 bytes)
    assertInvalid(bytes, /engine refuses it: Compiling function #0 failed: .*expected i32, got i64/, 35);
  });

  it('refuses bad data segment offset expressions, and segments of a memory that does not exist', () => {
    const data = (segment: number[]) => sec(11, [1, ...segment, 3, 0x61, 0x62, 0x63]);
    const DATA_AT = 8 + 6 + 4 + 5 + 9 + 6 + 2; // the data section's body
    // i64.const for a 32-bit memory: a type error the engine reports
    const i64 = withBody([0, 0x0b], data([0, 0x42, 0, 0x0b]));
    assert.equal(WebAssembly.validate(i64), false);
    assertInvalid(i64, /engine refuses it: .*(type error|expected type i32)/, DATA_AT - 2);
    // a load is not a constant instruction: refused here, where the payload would be skipped
    const load = withBody([0, 0x0b], data([0, 0x41, 0, 0x28, 2, 0, 0x0b]));
    assert.equal(WebAssembly.validate(load), false);
    assertInvalid(
      load,
      /data segment 0: offset expression: opcode 0x28 is not a constant instruction/,
      DATA_AT + 4,
    );
    // global.get of a global that does not exist
    const global = withBody([0, 0x0b], data([0, 0x23, 7, 0x0b]));
    assert.equal(WebAssembly.validate(global), false);
    assertInvalid(global, /engine refuses it/, DATA_AT - 2);
    // an active segment of memory 0 in a module without memory
    const noMemory = mod(TYPE_VOID, FUNC_1, EXPORT_RUN, CODE_1, sec(11, [1, 0, 0x41, 0, 0x0b, 1, 0x61]));
    assert.equal(WebAssembly.validate(noMemory), false);
    assertInvalid(noMemory, /engine refuses it/, 8 + 6 + 4 + 9 + 6);
    // unknown segment flags, a payload past the section's end, bytes after the last segment
    assertInvalid(withBody([0, 0x0b], data([3])), /data segment 0: unknown segment flags 3/, DATA_AT + 1);
    const short = withBody([0, 0x0b], sec(11, [1, 0, 0x41, 0, 0x0b, 9, 0x61]));
    assert.equal(WebAssembly.validate(short), false);
    assertInvalid(short, /data section: the section ends inside a data segment/, DATA_AT + 7);
    const extra = withBody([0, 0x0b], sec(11, [1, 1, 1, 0x61, 0x62]));
    assert.equal(WebAssembly.validate(extra), false);
    assertInvalid(extra, /data section: 1 bytes left over after its last segment/, DATA_AT + 4);
  });

  it('accepts data segments of every kind and keeps none of their payload', () => {
    const bytes = wat(`(module
      (import "host" "base" (global $base i32))
      (memory 1)
      (func (export "run") (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 1)) (data.drop 1))
      (data (i32.const 0) "active")
      (data "passive passive passive passive passive")
      (data (global.get $base) "via a global")
      (data (i32.const 0x7fffffff) "\\0b\\0b\\0b")
      (@custom "meta" "custom payload"))`);
    assert.equal(WebAssembly.validate(bytes), true);
    scanAll(bytes);
    const scanner = new WasmScanner();
    scanner.push(bytes);
    scanner.finish();
    assert.ok(
      scanner.validatedBytes < bytes.length - 60,
      `held ${scanner.validatedBytes} of ${bytes.length}`,
    );
  });

  it('refuses a code section over MAX_VALIDATED_BYTES as soon as its size is read', () => {
    const scanner = new WasmScanner({ source: 'm.wasm' });
    const size = MAX_VALIDATED_BYTES + 1;
    const start = HEADER.length + TYPE_VOID.length + FUNC_1.length + EXPORT_RUN.length;
    assert.throws(
      () =>
        scanner.push(Uint8Array.from([...HEADER, ...TYPE_VOID, ...FUNC_1, ...EXPORT_RUN, 10, ...leb(size)])),
      (e) =>
        e instanceof AurionError &&
        e.code === 'WASM_INVALID' &&
        /code and metadata .* exceed 128 MiB, the most aurion-plugin validates/.test(e.message) &&
        e.message.includes(`byte offset ${start} =`),
    );
    assert.equal(scanner.validatedBytes, start);
  });

  it('accepts offset expressions with every constant instruction the engine may allow', () => {
    // i32.const with an immediate that contains 0x0b (end), and f32/f64/v128/ref constants a global may use.
    const bytes = wat(`(module
      (memory 1)
      (global f32 (f32.const 11))
      (global f64 (f64.const 11))
      (global v128 (v128.const i32x4 11 11 11 11))
      (global funcref (ref.null func))
      (global funcref (ref.func 0))
      (func (export "run"))
      (data (i32.const 11) "x")
      (data (i32.const -1) "y"))`);
    assert.equal(WebAssembly.validate(bytes), true);
    scanAll(bytes);
  });
});

describe('WasmScanner agrees with WebAssembly.validate (differential, property)', () => {
  /** Valid modules that use most of the binary format; mutations of them are mostly invalid in many ways. */
  const seeds = () => [
    wat(`(module
      (type $t (func (param i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "host" "g" (global $g i32))
      (memory (export "memory") 2 10)
      (table 2 funcref)
      (global $counter (mut i32) (i32.const 0))
      (elem (i32.const 0) $inc $run)
      (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
      (func $run (export "run") (result i32) (local i64)
        (global.set $counter (call $inc (global.get $counter)))
        (if (result i32) (i32.eqz (global.get $g)) (then (i32.const 1)) (else (call_indirect (type $t) (i32.const 2) (i32.const 0)))))
      (data (i32.const 8) "hello, world")
      (data (global.get $g) "\\0b\\41\\0b")
      (@custom "name-ish" "not a name section"))`),
    wat(`(module
      (memory 1)
      (func (export "run") (local i32)
        (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 4))
        (data.drop 0)
        (local.set 0 (i32.load (i32.const 0)))
        (block (loop (br_if 1 (i32.eqz (local.get 0))) (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0))))
      (data "passive bytes")
      (data (i32.const 100) "active bytes"))`),
    watUnchecked('(module (func (export "run") (result i32) i32.const 1 i32.const 2 i32.add))'),
    mod(
      TYPE_VOID,
      FUNC_1,
      sec(5, [1, 0, 1]),
      EXPORT_RUN,
      CODE_1,
      sec(11, [2, 1, 2, 0x61, 0x62, 2, 0, 0x41, 1, 0x0b, 1, 0x63]),
    ),
  ];

  const verdict = (chunks: readonly Uint8Array[]): boolean => {
    try {
      feed(chunks);
      return true;
    } catch (e) {
      if (e instanceof AurionError && e.code === 'WASM_INVALID') return false;
      throw e;
    }
  };

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
  );

  function mutate(bytes: Uint8Array, mutations: ReadonlyArray<{ kind: string; at: number; value: number }>) {
    const out = [...bytes];
    for (const m of mutations) {
      const at = 8 + (m.at % Math.max(1, out.length - 8)); // leave the header alone: those cases are above
      if (m.kind === 'set') out[at] = m.value;
      else if (m.kind === 'insert') out.splice(at, 0, m.value);
      else out.splice(at, 1);
    }
    return Uint8Array.from(out);
  }

  it('gives the verdict of WebAssembly.validate for mutated modules, in any chunking', () => {
    const modules = seeds();
    for (const bytes of modules) assert.equal(verdict([bytes]), WebAssembly.validate(bytes));
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: modules.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (seed, mutations, cuts) => {
          const bytes = mutate(modules[seed]!, mutations);
          const engine = WebAssembly.validate(bytes);
          const ours = verdict(
            split(
              bytes,
              cuts.map((c) => c % (bytes.length + 1)),
            ),
          );
          assert.equal(ours, engine, `ours ${ours}, engine ${engine}: ${Buffer.from(bytes).toString('hex')}`);
          if (engine) accepted++;
          else refused++;
        },
      ),
      { numRuns: 3000 },
    );
    // Both verdicts must be exercised, or the property proves little.
    assert.ok(accepted > 50 && refused > 50, `accepted ${accepted}, refused ${refused}`);
  });
});

describe('scanWasmFile', () => {
  it('streams a module file', async (t) => {
    const dir = await tempDir(t);
    const bytes = wat('(module (memory 2) (func (export "run")) (@custom "c" "1234"))');
    await writeFile(join(dir, 'm.wasm'), bytes);
    const info = await scanWasmFile(join(dir, 'm.wasm'));
    assert.deepEqual(info, scanWasm(bytes));
    assert.equal(info.size, bytes.length);
  });

  it('is IO_ERROR (exit 4) for a missing file or a folder, naming the path', async (t) => {
    const dir = await tempDir(t);
    const missing = await expectAurionError(() => scanWasmFile(join(dir, 'nope.wasm')), 'IO_ERROR');
    assert.match(missing.message, /nope\.wasm: no such file or directory/);
    assert.equal(missing.exitCode, 4);
    await mkdir(join(dir, 'folder.wasm'));
    const folder = await expectAurionError(() => scanWasmFile(join(dir, 'folder.wasm')), 'IO_ERROR');
    assert.match(folder.message, /folder\.wasm: is a directory/);
  });

  it('is WASM_INVALID for a malformed file, naming the path', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'bad.wasm'), mod(TYPE_VOID, [1, 9]));
    const e = await expectAurionError(() => scanWasmFile(join(dir, 'bad.wasm')), 'WASM_INVALID');
    assert.match(e.message, /duplicate type section \(.*bad\.wasm, byte offset 14 = 0x0e\)/);
  });
});

describe('checkWasm (build-time module rules)', () => {
  function manifest(extra: Record<string, unknown> = {}): Manifest {
    return validateManifest(
      {
        schema_version: 1,
        name: 'dns-enum',
        version: '1.0.0',
        capabilities: ['PassiveEnum'],
        risk_class: 'Low',
        runtime: 'wasm',
        module: { path: 'm.wasm' },
        ...extra,
      },
      { source: 'manifest.json' },
    );
  }
  const info = (text: string, features: Features = {}) => scanWasm(wat(text, features));
  /** Facts of a module exporting run, for memories of proposals the engine running the tests may not ship. */
  const facts = (memories: WasmInfo['memories']): WasmInfo => ({
    size: 0,
    imports: memories.some((m) => m.imported) ? [{ module: 'env', name: 'm', kind: 'memory' }] : [],
    exports: [{ name: 'run', kind: 'func' }],
    memories,
    customSections: [],
  });
  const refused = async (i: WasmInfo, m: Manifest, message: RegExp) => {
    const e = await expectAurionError(() => checkWasm(i, m, 'm.wasm'), 'WASM_INVALID');
    assert.equal(e.exitCode, 3);
    assert.match([e.message, ...e.issues.map((x) => `${x.at}: ${x.message}`)].join('\n'), message);
    return e;
  };

  it('accepts an exported function run', () => {
    checkWasm(info('(module (func (export "run")))'), manifest(), 'm.wasm');
  });

  it('refuses a module without a run export', async () => {
    const e = await refused(
      info('(module (func (export "main")))'),
      manifest(),
      /no function is exported as "run"/,
    );
    assert.match(e.message, /m\.wasm/);
  });

  it('refuses a run export that is not a function', async () => {
    await refused(
      info('(module (memory (export "run") 1))'),
      manifest(),
      /export "run": is a memory, not a function/,
    );
    await refused(info('(module (global (export "run") i32 (i32.const 0)))'), manifest(), /is a global/);
  });

  it('refuses an exported function named differently in case ("Run")', async () => {
    await refused(info('(module (func (export "Run")))'), manifest(), /no function is exported as "run"/);
  });

  it('accepts imports from wasi_snapshot_preview1 without any declaration', () => {
    const i =
      info(`(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (func (export "run")))`);
    checkWasm(i, manifest(), 'm.wasm');
  });

  it('refuses an undeclared import module, naming the import and host_imports', async () => {
    const i = info(`(module (import "aurion_net" "dns_query" (func (param i32) (result i32)))
      (func (export "run")))`);
    const e = await refused(i, manifest(), /"aurion_net"\."dns_query".*declare it in host_imports/);
    assert.match(e.message, /import module "aurion_net"/);
    checkWasm(i, manifest({ host_imports: ['aurion_net'] }), 'm.wasm');
    await refused(i, manifest({ host_imports: ['aurion_fs'] }), /aurion_net/);
  });

  it('checks imported memories, tables and globals by module too', async () => {
    const i = info('(module (import "env" "memory" (memory 1)) (func (export "run")))');
    await refused(i, manifest(), /"env"\."memory"/);
    checkWasm(i, manifest({ host_imports: ['env'] }), 'm.wasm');
  });

  it('groups many imports of one module into one problem', async () => {
    const imports = ['a', 'b', 'c', 'd', 'e'].map((n) => `(import "env" "${n}" (func))`).join(' ');
    const e = await refused(info(`(module ${imports} (func (export "run")))`), manifest(), /and 2 more/);
    assert.equal(e.issues.length, 0);
  });

  it('accepts initial memory up to limits.memory_mib (default 64 MiB = 1024 pages)', () => {
    checkWasm(info('(module (memory 1024) (func (export "run")))'), manifest(), 'm.wasm');
    checkWasm(
      info('(module (memory 16 65536) (func (export "run")))'),
      manifest({ limits: { memory_mib: 1 } }),
      'm.wasm',
    );
  });

  it('refuses initial memory over the default 64 MiB', async () => {
    await refused(
      info('(module (memory 1025) (func (export "run")))'),
      manifest(),
      /initial memory is 1025 pages \(64\.1 MiB\), more than limits\.memory_mib allows \(64 MiB = 1024 pages\); lower the module's initial memory \([^)]*\)$/,
    );
  });

  it('refuses initial memory over a lower limits.memory_mib', async () => {
    await refused(
      info('(module (memory 17) (func (export "run")))'),
      manifest({ limits: { memory_mib: 1 } }),
      /17 pages \(1\.1 MiB\).*1 MiB = 16 pages.* or raise limits\.memory_mib \(at most 64\)$/,
    );
  });

  it('counts imported, 64-bit and all memories together', async () => {
    const m = manifest({ host_imports: ['env'], limits: { memory_mib: 2 } });
    checkWasm(info('(module (import "env" "m" (memory 32)) (func (export "run")))'), m, 'm.wasm');
    await refused(info('(module (import "env" "m" (memory 33)) (func (export "run")))'), m, /33 pages/);
    await refused(
      facts([{ initialPages: 40, imported: false, memory64: true, shared: false }]),
      m,
      /40 pages/,
    );
    const twoMemories = facts([
      { initialPages: 20, imported: true, memory64: false, shared: false },
      { initialPages: 20, imported: false, memory64: false, shared: false },
    ]);
    await refused(twoMemories, m, /40 pages/);
  });

  it('reports a huge 64-bit initial memory with a readable size', async () => {
    const huge = facts([{ initialPages: 2 ** 40, imported: false, memory64: true, shared: false }]);
    await refused(huge, manifest(), /1099511627776 pages \(65536\.0 TiB\)/);
  });

  it('reports every failing rule at once', async () => {
    const e = await refused(
      info('(module (import "env" "f" (func)) (memory 2000) (func (export "start")))'),
      manifest(),
      /fails 3 build checks/,
    );
    assert.deepEqual(
      e.issues.map((i) => i.at),
      ['exports', 'import module "env"', 'memory'],
    );
  });
});
