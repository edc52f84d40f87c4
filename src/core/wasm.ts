/**
 * A streaming scanner for WebAssembly core modules (binary format, version 1) and the build-time module checks
 * of SPEC §7 (`build`).
 *
 * The scanner is fed chunks of any size (a tar entry of up to 512 MiB arrives in ~1 MiB pieces) and never holds
 * a whole module: it decodes only the sections it reports on (import, memory, export), the leading item count
 * of the sections whose counts it cross-checks, and the *names* of custom sections. At the end the JavaScript
 * engine validates the module (`WebAssembly.validate`, function bodies included) from a skeleton of it that
 * leaves out data payloads and custom sections (wasm-skeleton.ts): what is held for that is the module's code
 * and metadata, never its data or custom payloads. Anything malformed or invalid is WASM_INVALID with the byte
 * offset.
 */
import { AurionError, type Issue } from '../errors.js';
import type { Manifest } from './types.js';
import { WasmSkeleton } from './wasm-skeleton.js';

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';

export interface WasmImport {
  readonly module: string;
  readonly name: string;
  readonly kind: ExternKind;
}

export interface WasmExport {
  readonly name: string;
  readonly kind: ExternKind;
}

export interface WasmMemory {
  /** Initial size in 64 KiB pages. */
  readonly initialPages: number;
  /** Maximum size in 64 KiB pages, when declared. */
  readonly maximumPages?: number;
  /** true for a memory the module imports (its limits come from the import). */
  readonly imported: boolean;
  /** true for a 64-bit memory (memory64 proposal). */
  readonly memory64: boolean;
  /** true for a shared memory (threads proposal). */
  readonly shared: boolean;
}

export interface WasmCustomSection {
  readonly name: string;
  /** The section's size as declared in the binary (name included), as `wasm-objdump -h` shows it. */
  readonly size: number;
}

export interface WasmInfo {
  /** Size of the module in bytes. */
  readonly size: number;
  readonly imports: readonly WasmImport[];
  readonly exports: readonly WasmExport[];
  /** Imported memories first, then defined ones: the memory index space. */
  readonly memories: readonly WasmMemory[];
  readonly customSections: readonly WasmCustomSection[];
}

/** Bytes in a WebAssembly page. */
export const WASM_PAGE_SIZE = 64 * 1024;
/** The import module every WASI preview 1 module uses; always allowed. */
export const WASI_MODULE = 'wasi_snapshot_preview1';
/**
 * WASI preview 1 functions whose results differ from run to run: clocks, timers and randomness. The seed asks
 * plugins to avoid them (a job's result should depend on its request only), so inspect lists them and build
 * warns about them.
 */
export const NONDETERMINISTIC_WASI_IMPORTS: readonly string[] = [
  'clock_res_get',
  'clock_time_get',
  'poll_oneoff',
  'random_get',
];

/** The non-deterministic WASI functions a module imports, in import order. */
export function nondeterministicImports(info: Pick<WasmInfo, 'imports'>): string[] {
  return info.imports
    .filter((i) => i.module === WASI_MODULE && NONDETERMINISTIC_WASI_IMPORTS.includes(i.name))
    .map((i) => i.name);
}

/** Default of `limits.memory_mib` (the runtime's default and maximum, SPEC §3). */
export const DEFAULT_MEMORY_MIB = 64;
/**
 * The most a decoded section (import, memory, export) or a custom section's name may take. Real modules stay
 * far below (a few KiB); the cap keeps a hostile module from making the scanner buffer hundreds of MiB.
 */
export const MAX_DECODED_SECTION = 16 * 1024 * 1024;

const MAX_PAGES_32 = 2 ** 16; // 4 GiB: everything a 32-bit memory can address
const MAX_PAGES_64 = 2 ** 48; // 2^64 bytes in 64 KiB pages

const SECTION_NAMES = [
  'custom',
  'type',
  'import',
  'function',
  'table',
  'memory',
  'global',
  'export',
  'start',
  'element',
  'code',
  'data',
  'data count',
  'tag',
] as const;

/** Position of each known section in the required order (the tag section sits between memory and global). */
const SECTION_RANK: Readonly<Record<number, number>> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  13: 6,
  6: 7,
  7: 8,
  8: 9,
  9: 10,
  12: 11,
  10: 12,
  11: 13,
};

const KINDS: readonly ExternKind[] = ['func', 'table', 'memory', 'global', 'tag'];

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
const sectionName = (id: number) => `${SECTION_NAMES[id] ?? `unknown (${id})`} section`;

/**
 * How the body of the current section is handled: `decode` buffers all of it (import, memory, export);
 * `count` buffers its leading u32 (an item count or an index) and skips the rest; `custom` buffers the name
 * and skips the payload; `skip` only counts.
 */
type BodyMode = 'skip' | 'decode' | 'count' | 'custom';

type Phase = 'header' | 'id' | 'size' | 'body' | 'failed' | 'finished';

/** A bounded reader over buffered section bytes; every error names the absolute offset. */
class Reader {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
    private readonly fail: (at: number, message: string) => never,
  ) {}

  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  byte(): number {
    if (this.pos >= this.bytes.length) {
      this.fail(this.offset, 'unexpected end: the items run past the declared section size');
    }
    return this.bytes[this.pos++]!;
  }

  peek(): number | undefined {
    return this.bytes[this.pos];
  }

  /** Unsigned LEB128, at most 5 bytes, value < 2^32. Padded encodings within 5 bytes are valid wasm. */
  u32(): number {
    const start = this.offset;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      if (i === 4) {
        if (b & 0x80)
          this.fail(start, 'integer representation too long (a u32 LEB128 takes at most 5 bytes)');
        if (b & 0x70) this.fail(start, 'integer too large (a u32 LEB128 value must fit in 32 bits)');
      }
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return result;
    }
    return this.fail(start, 'unreachable');
  }

  /** Unsigned LEB128, at most 10 bytes, value < 2^64. */
  u64(): bigint {
    const start = this.offset;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      if (i === 9) {
        if (b & 0x80)
          this.fail(start, 'integer representation too long (a u64 LEB128 takes at most 10 bytes)');
        if (b & 0x7e) this.fail(start, 'integer too large (a u64 LEB128 value must fit in 64 bits)');
      }
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return result;
    }
    return this.fail(start, 'unreachable');
  }

  /** Signed LEB128 of 33 bits (heap types), at most 5 bytes. */
  s33(): number {
    const start = this.offset;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      if (i === 4) {
        if (b & 0x80)
          this.fail(start, 'integer representation too long (an s33 LEB128 takes at most 5 bytes)');
        // Bits 5 and 6 of the last byte must repeat the sign bit (bit 4).
        if ((b & 0x70) !== 0 && (b & 0x70) !== 0x70) {
          this.fail(start, 'integer too large (an s33 LEB128 value must fit in 33 bits)');
        }
      }
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return b & 0x40 ? result - 2 ** (7 * (i + 1)) : result;
    }
    return this.fail(start, 'unreachable');
  }

  /** A name: u32 length, then that many bytes of UTF-8. */
  name(what: string): string {
    const start = this.offset;
    const length = this.u32();
    if (length > this.remaining) {
      this.fail(start, `${what} of ${length} bytes runs past the end of the section`);
    }
    const bytes = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    try {
      return UTF8.decode(bytes);
    } catch {
      return this.fail(start, `${what} is not valid UTF-8`);
    }
  }

  /** An item count, which cannot exceed the bytes left (every item takes at least one byte). */
  count(what: string): number {
    const start = this.offset;
    const n = this.u32();
    if (n > this.remaining) {
      this.fail(start, `declares ${n} ${what} but has only ${this.remaining} bytes left`);
    }
    return n;
  }
}

export interface WasmScannerOptions {
  /** Where the module comes from (a path, `bundle.aurion:module.wasm`), for messages. */
  readonly source?: string;
}

/**
 * Scans a WebAssembly module pushed in chunks of any size: `push()` each chunk in order, then `finish()`.
 * Both throw AurionError WASM_INVALID with the byte offset of the problem; once one did, the scanner stays
 * failed and rethrows the same error.
 */
export class WasmScanner {
  private readonly source: string | undefined;
  private phase: Phase = 'header';
  private error: AurionError | undefined;
  /** Absolute offset of the next byte to consume. */
  private offset = 0;

  private readonly header = new Uint8Array(8);
  private headerLength = 0;

  // The section being read.
  private sectionId = 0;
  private sectionStart = 0;
  private sizeValue = 0;
  private sizeBytes = 0;
  private bodyStart = 0;
  private bodySize = 0;
  private bodyDone = 0;
  private mode: BodyMode = 'skip';
  /** Bytes of the body buffered so far, and how many are wanted. */
  private parts: Uint8Array[] = [];
  private buffered = 0;
  private want = 0;
  private peak = 0;
  /** true once the buffered prefix of the current section has been decoded. */
  private prefixHandled = false;

  private lastRank = 0;
  private lastKnownId = 0;
  private readonly seen = new Set<number>();

  // Index spaces and counts for cross-checks.
  private typeCount = 0;
  private functionCount: number | undefined;
  private codeCount: number | undefined;
  private dataCount: number | undefined;
  private dataCountSection: number | undefined;
  private readonly imported = { func: 0, table: 0, memory: 0, global: 0, tag: 0 };
  private readonly defined = { func: 0, table: 0, memory: 0, global: 0, tag: 0 };

  private readonly imports: WasmImport[] = [];
  private readonly exports: WasmExport[] = [];
  private readonly memories: WasmMemory[] = [];
  private readonly customSections: WasmCustomSection[] = [];

  /** What the engine validates at the end (wasm-skeleton.ts). */
  private readonly skeleton = new WasmSkeleton((at, message) => this.fail(at, message));

  constructor(options: WasmScannerOptions = {}) {
    this.source = options.source;
  }

  /** The most section bytes held at once so far: what the streaming guarantee is about. */
  get peakBuffered(): number {
    return this.peak;
  }

  /** The bytes held for the engine's validation at the end: the module's code and metadata (wasm-skeleton.ts). */
  get validatedBytes(): number {
    return this.skeleton.heldBytes;
  }

  /** Feeds the next chunk. The scanner copies what it keeps, so the caller may reuse `chunk`. */
  push(chunk: Uint8Array): void {
    if (this.phase === 'failed') throw this.error!;
    if (this.phase === 'finished') throw new Error('WasmScanner.push() after finish()');
    let i = 0;
    while (i < chunk.length) {
      switch (this.phase) {
        case 'header': {
          const n = Math.min(8 - this.headerLength, chunk.length - i);
          this.header.set(chunk.subarray(i, i + n), this.headerLength);
          this.headerLength += n;
          this.offset += n;
          i += n;
          if (this.headerLength === 8) {
            this.checkHeader();
            this.skeleton.header(this.header);
            this.phase = 'id';
          }
          break;
        }
        case 'id':
          this.startSection(chunk[i]!);
          i++;
          this.offset++;
          break;
        case 'size': {
          const b = chunk[i]!;
          i++;
          this.offset++;
          if (this.sizeByte(b) && this.bodySize === 0) this.bodyProgress();
          break;
        }
        case 'body': {
          if (this.buffered < this.want) {
            const n = Math.min(this.want - this.buffered, chunk.length - i);
            this.parts.push(new Uint8Array(chunk.subarray(i, i + n))); // a copy: Buffer#slice would be a view
            this.skeleton.body(chunk.subarray(i, i + n));
            this.buffered += n;
            this.peak = Math.max(this.peak, this.buffered);
            this.bodyDone += n;
            this.offset += n;
            i += n;
          } else {
            const n = Math.min(this.bodySize - this.bodyDone, chunk.length - i);
            this.skeleton.body(chunk.subarray(i, i + n));
            this.bodyDone += n;
            this.offset += n;
            i += n;
          }
          this.bodyProgress();
          break;
        }
        default:
          throw new Error(`WasmScanner in phase ${this.phase}`);
      }
    }
  }

  /** Ends the module: checks that nothing is cut short and the sections agree; returns what was found. */
  finish(): WasmInfo {
    if (this.phase === 'failed') throw this.error!;
    if (this.phase === 'finished') throw new Error('WasmScanner.finish() called twice');
    switch (this.phase) {
      case 'header':
        if (this.offset === 0) this.fail(0, 'the file is empty, not a WebAssembly module');
        this.checkHeader();
        break;
      case 'size':
        this.fail(
          this.sectionStart,
          `the module ends inside the size of the ${sectionName(this.sectionId)} that starts here`,
        );
        break;
      case 'body':
        this.fail(
          this.sectionStart,
          `the module ends inside the ${sectionName(this.sectionId)} that starts here: it declares ` +
            `${this.bodySize} bytes but only ${this.bodyDone} follow (truncated file, or a section size past the end)`,
        );
        break;
      default:
        break;
    }
    const functions = this.functionCount ?? 0;
    const bodies = this.codeCount ?? 0;
    if (functions !== bodies) {
      this.fail(
        this.offset,
        `the function section declares ${functions} functions but the code section has ${bodies} bodies`,
      );
    }
    if (this.dataCountSection !== undefined && this.dataCountSection !== (this.dataCount ?? 0)) {
      this.fail(
        this.offset,
        `the data count section says ${this.dataCountSection} data segments but the data section has ${this.dataCount ?? 0}`,
      );
    }
    this.skeleton.validate();
    this.phase = 'finished';
    return {
      size: this.offset,
      imports: this.imports,
      exports: this.exports,
      memories: this.memories,
      customSections: this.customSections,
    };
  }

  private fail(at: number, message: string): never {
    const where = this.source === undefined ? '' : `${this.source}, `;
    this.error = new AurionError(
      'WASM_INVALID',
      `invalid WebAssembly module: ${message} (${where}byte offset ${at} = ${hex(at)})`,
      {
        hint:
          'point module.path at a core WebAssembly module built for wasm32-wasip1 ' +
          '(e.g. cargo build --release --target wasm32-wasip1); `wasm-validate FILE` (wabt) shows what is wrong',
      },
    );
    this.phase = 'failed';
    throw this.error;
  }

  private checkHeader(): void {
    const h = this.header;
    const magic = [0x00, 0x61, 0x73, 0x6d];
    if (magic.some((m, i) => i < this.headerLength && h[i] !== m)) {
      const text = new TextDecoder().decode(h.subarray(0, this.headerLength));
      const why = /^\s*\(/.test(text)
        ? 'it looks like WebAssembly text (.wat); compile it with wat2wasm first'
        : `it does not start with the magic bytes 00 61 73 6d ("\\0asm")`;
      this.fail(0, `not a WebAssembly binary: ${why}`);
    }
    if (this.headerLength < 8) this.fail(this.headerLength, 'the module ends inside its 8-byte header');
    if (h[4] === 0x0d && h[5] === 0x00 && h[6] === 0x01 && h[7] === 0x00) {
      this.fail(
        4,
        'this is a WebAssembly component, not a core module; build a core module for wasm32-wasip1',
      );
    }
    if (h[4] !== 1 || h[5] !== 0 || h[6] !== 0 || h[7] !== 0) {
      const version = [...h.subarray(4, 8)].map((b) => hex(b).slice(2)).join(' ');
      this.fail(
        4,
        `unsupported binary format version (bytes ${version}); only version 1 (01 00 00 00) exists`,
      );
    }
  }

  private startSection(id: number): void {
    this.sectionStart = this.offset;
    this.sectionId = id;
    if (id > 13) this.fail(this.offset, `unknown section id ${id} (${hex(id)})`);
    if (id !== 0) {
      if (this.seen.has(id)) this.fail(this.offset, `duplicate ${sectionName(id)}`);
      const rank = SECTION_RANK[id]!;
      if (rank < this.lastRank) {
        this.fail(
          this.offset,
          `the ${sectionName(id)} must come before the ${sectionName(this.lastKnownId)}`,
        );
      }
      this.seen.add(id);
      this.lastRank = rank;
      this.lastKnownId = id;
    }
    this.sizeValue = 0;
    this.sizeBytes = 0;
    this.phase = 'size';
  }

  /** One byte of the section size (u32 LEB128), decoded as it streams in; true when the size is complete. */
  private sizeByte(b: number): boolean {
    if (this.sizeBytes === 4) {
      if (b & 0x80) {
        this.fail(this.sectionStart + 1, 'section size: integer representation too long (at most 5 bytes)');
      }
      if (b & 0x70) this.fail(this.sectionStart + 1, 'section size: integer too large (must fit in 32 bits)');
    }
    this.sizeValue += (b & 0x7f) * 2 ** (7 * this.sizeBytes);
    this.sizeBytes++;
    if (b & 0x80) return false;
    this.startBody();
    return true;
  }

  private startBody(): void {
    const id = this.sectionId;
    const size = this.sizeValue;
    this.bodyStart = this.offset;
    this.bodySize = size;
    this.bodyDone = 0;
    this.parts = [];
    this.buffered = 0;
    this.prefixHandled = false;
    this.phase = 'body';
    this.skeleton.startSection(id, size, this.sectionStart, this.bodyStart);
    if (id === 0) {
      this.mode = 'custom';
      this.want = Math.min(size, 5);
    } else if (id === 2 || id === 5 || id === 7) {
      if (size > MAX_DECODED_SECTION) {
        this.fail(
          this.sectionStart,
          `the ${sectionName(id)} is ${size} bytes; aurion-plugin decodes at most ${MAX_DECODED_SECTION} bytes of it`,
        );
      }
      this.mode = 'decode';
      this.want = size;
    } else if (id === 9) {
      this.mode = 'skip';
      this.want = 0;
    } else {
      this.mode = 'count';
      this.want = Math.min(size, 5);
    }
  }

  /** Called after body bytes arrived: decodes the buffered prefix once complete, ends a fully read section. */
  private bodyProgress(): void {
    if (!this.prefixHandled && this.buffered === this.want) this.handlePrefix();
    if (this.bodyDone === this.bodySize) {
      this.skeleton.endSection();
      this.phase = 'id';
      this.parts = [];
    }
  }

  private takeBuffer(): Uint8Array {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [bytes];
    return bytes;
  }

  /** Decodes the buffered prefix; a custom section may first ask for more (the rest of its name). */
  private handlePrefix(): void {
    const id = this.sectionId;
    const what = sectionName(id);
    const r = new Reader(this.takeBuffer(), this.bodyStart, (at, message) =>
      this.fail(at, `${what}: ${message}`),
    );
    switch (this.mode) {
      case 'custom': {
        if (this.bodySize === 0)
          this.fail(this.sectionStart, 'custom section: it is empty but must start with a name');
        const length = r.u32();
        const headerLength = r.pos + length;
        if (headerLength > this.bodySize) {
          this.fail(
            this.bodyStart,
            `custom section: its name of ${length} bytes runs past the section's end (${this.bodySize} bytes)`,
          );
        }
        if (length > MAX_DECODED_SECTION) {
          this.fail(
            this.bodyStart,
            `custom section: a name of ${length} bytes is longer than aurion-plugin reads`,
          );
        }
        if (headerLength > this.buffered) {
          this.want = headerLength; // wait for the rest of the name
          return;
        }
        r.pos = 0;
        this.customSections.push({ name: r.name('custom section name'), size: this.bodySize });
        break;
      }
      case 'count':
        this.decodeCount(r);
        break;
      case 'decode':
        if (id === 2) this.decodeImports(r);
        else if (id === 5) this.decodeMemories(r);
        else this.decodeExports(r);
        if (r.remaining !== 0) {
          this.fail(
            r.offset,
            `${what}: ${r.remaining} bytes left over after its last item (wrong section size)`,
          );
        }
        break;
      case 'skip':
        break;
    }
    this.prefixHandled = true;
  }

  /** Sections of which only the leading u32 matters: item counts, the start function, the data count. */
  private decodeCount(r: Reader): void {
    const id = this.sectionId;
    const what = sectionName(id);
    if (this.bodySize === 0) this.fail(this.sectionStart, `${what}: it is empty but must start with a count`);
    const start = r.offset;
    const value = r.u32();
    // Every item takes at least one byte: a count larger than the bytes left is a corrupt section.
    const room = this.bodySize - r.pos;
    if (id === 8 || id === 12) {
      if (room !== 0)
        this.fail(r.offset, `${what}: ${room} bytes left over after its index (wrong section size)`);
    } else if (value > room) {
      this.fail(start, `${what}: declares ${value} items but has only ${room} bytes left`);
    }
    switch (id) {
      case 1:
        this.typeCount = value;
        break;
      case 3:
        this.functionCount = value;
        this.defined.func = value;
        break;
      case 4:
        this.defined.table = value;
        break;
      case 6:
        this.defined.global = value;
        break;
      case 13:
        this.defined.tag = value;
        break;
      case 8: {
        const functions = this.imported.func + this.defined.func;
        if (value >= functions) {
          this.fail(start, `start section: function index ${value} does not exist (${functions} functions)`);
        }
        break;
      }
      case 10:
        this.codeCount = value;
        break;
      case 11:
        this.dataCount = value;
        break;
      case 12:
        this.dataCountSection = value;
        break;
      default:
        break;
    }
  }

  private decodeImports(r: Reader): void {
    const n = r.count('imports');
    for (let i = 0; i < n; i++) {
      const module = r.name('import module name');
      const name = r.name('import name');
      const kindAt = r.offset;
      const kindByte = r.byte();
      const kind = KINDS[kindByte];
      if (kind === undefined) {
        this.fail(kindAt, `import section: import "${module}"."${name}" has unknown kind ${hex(kindByte)}`);
      }
      switch (kind) {
        case 'func':
          this.typeIndex(r, `import "${module}"."${name}"`);
          break;
        case 'table':
          this.refType(r);
          this.limits(r, 'table');
          break;
        case 'memory':
          this.memories.push({ ...this.limits(r, 'memory'), imported: true });
          break;
        case 'global':
          this.valType(r);
          this.mutability(r);
          break;
        case 'tag':
          this.tagType(r, `import "${module}"."${name}"`);
          break;
      }
      this.imported[kind]++;
      this.imports.push({ module, name, kind });
    }
  }

  private decodeMemories(r: Reader): void {
    const n = r.count('memories');
    for (let i = 0; i < n; i++) this.memories.push({ ...this.limits(r, 'memory'), imported: false });
    this.defined.memory = n;
  }

  private decodeExports(r: Reader): void {
    const n = r.count('exports');
    const names = new Set<string>();
    for (let i = 0; i < n; i++) {
      const at = r.offset;
      const name = r.name('export name');
      if (names.has(name)) this.fail(at, `export section: duplicate export name "${name}"`);
      names.add(name);
      const kindAt = r.offset;
      const kindByte = r.byte();
      const kind = KINDS[kindByte];
      if (kind === undefined)
        this.fail(kindAt, `export section: export "${name}" has unknown kind ${hex(kindByte)}`);
      const indexAt = r.offset;
      const index = r.u32();
      const available = this.imported[kind] + this.defined[kind];
      if (index >= available) {
        this.fail(
          indexAt,
          `export section: export "${name}" refers to ${kind} ${index}, but the module has ${available}`,
        );
      }
      this.exports.push({ name, kind });
    }
  }

  private typeIndex(r: Reader, what: string): void {
    const at = r.offset;
    const index = r.u32();
    if (index >= this.typeCount) {
      this.fail(at, `import section: ${what} uses type ${index}, but the module has ${this.typeCount} types`);
    }
  }

  private tagType(r: Reader, what: string): void {
    const at = r.offset;
    const attribute = r.byte();
    if (attribute !== 0) this.fail(at, `import section: ${what}: unknown tag attribute ${hex(attribute)}`);
    this.typeIndex(r, what);
  }

  private mutability(r: Reader): void {
    const at = r.offset;
    const m = r.byte();
    if (m > 1) this.fail(at, `import section: unknown global mutability ${hex(m)}`);
  }

  /** A value type: number, vector or reference type. */
  private valType(r: Reader): void {
    const at = r.offset;
    const b = r.peek() ?? r.byte(); // byte() reports the end of the section
    if (b >= 0x7b && b <= 0x7f) {
      r.pos++;
      return;
    }
    if (!this.isRefTypeStart(b)) this.fail(at, `import section: unknown value type ${hex(b)}`);
    this.refType(r);
  }

  private isRefTypeStart(b: number): boolean {
    return (b >= 0x69 && b <= 0x74) || b === 0x63 || b === 0x64;
  }

  /** A reference type: an abstract shorthand (funcref, externref...) or `ref [null] heaptype`. */
  private refType(r: Reader): void {
    const at = r.offset;
    const b = r.byte();
    if (b >= 0x69 && b <= 0x74) return;
    if (b !== 0x63 && b !== 0x64) this.fail(at, `import section: unknown reference type ${hex(b)}`);
    const heapAt = r.offset;
    const h = r.peek();
    if (h !== undefined && h >= 0x69 && h <= 0x74) {
      r.pos++;
      return;
    }
    const index = r.s33();
    if (index < 0) this.fail(heapAt, `import section: unknown heap type ${index}`);
    if (index >= this.typeCount) {
      this.fail(heapAt, `import section: heap type ${index} does not exist (${this.typeCount} types)`);
    }
  }

  /** Limits of a memory or table type; memory limits are checked against what the index type can address. */
  private limits(r: Reader, of: 'memory' | 'table'): Omit<WasmMemory, 'imported'> {
    const what = sectionName(this.sectionId);
    const at = r.offset;
    const flags = r.byte();
    if (of === 'table' && flags !== 0x00 && flags !== 0x01 && flags !== 0x04 && flags !== 0x05) {
      this.fail(at, `${what}: invalid table limits flags ${hex(flags)}`);
    }
    if (of === 'memory') {
      if (flags & 0x08) {
        this.fail(at, `${what}: custom page sizes (limits flags ${hex(flags)}) are not supported`);
      }
      if (flags > 0x07) this.fail(at, `${what}: invalid memory limits flags ${hex(flags)}`);
      if ((flags & 0x03) === 0x02) this.fail(at, `${what}: a shared memory must declare a maximum size`);
    }
    const is64 = (flags & 0x04) !== 0;
    const hasMax = (flags & 0x01) !== 0;
    const read = (): bigint => (is64 ? r.u64() : BigInt(r.u32()));
    const minAt = r.offset;
    const min = read();
    const maxAt = r.offset;
    const max = hasMax ? read() : undefined;
    if (max !== undefined && max < min) {
      this.fail(maxAt, `${what}: ${of} maximum ${max} is below its initial size ${min}`);
    }
    if (of === 'memory') {
      const limit = is64 ? MAX_PAGES_64 : MAX_PAGES_32;
      const range = is64
        ? '2^48 pages, the most a 64-bit memory can have'
        : '65536 pages (4 GiB), the most a 32-bit memory can address';
      if (min > BigInt(limit)) this.fail(minAt, `${what}: initial memory of ${min} pages exceeds ${range}`);
      if (max !== undefined && max > BigInt(limit)) {
        this.fail(maxAt, `${what}: maximum memory of ${max} pages exceeds ${range}`);
      }
    }
    return {
      initialPages: Number(min),
      ...(max === undefined ? {} : { maximumPages: Number(max) }),
      memory64: is64,
      shared: (flags & 0x02) !== 0,
    };
  }
}

/** Scans a module held in memory (tests, small inputs). */
export function scanWasm(bytes: Uint8Array, options: WasmScannerOptions = {}): WasmInfo {
  const scanner = new WasmScanner(options);
  scanner.push(bytes);
  return scanner.finish();
}

/**
 * The build-time module checks (SPEC §7 `build`): an exported function `run`; imports only from
 * wasi_snapshot_preview1 and the manifest's host_imports; initial memory within limits.memory_mib.
 * Every failing rule is reported at once (WASM_INVALID).
 */
export function checkWasm(info: WasmInfo, manifest: Manifest, source: string): void {
  const issues: Issue[] = [];

  const run = info.exports.find((e) => e.name === 'run');
  if (run === undefined) {
    issues.push({
      at: 'exports',
      message:
        'no function is exported as "run"; the orchestrator calls run() (export it, e.g. #[no_mangle] pub extern "C" fn run())',
    });
  } else if (run.kind !== 'func') {
    issues.push({ at: 'export "run"', message: `is a ${run.kind}, not a function` });
  }

  const allowed = new Set<string>([WASI_MODULE, ...(manifest.host_imports ?? [])]);
  const undeclared = new Map<string, string[]>();
  for (const imp of info.imports) {
    if (allowed.has(imp.module)) continue;
    const names = undeclared.get(imp.module) ?? [];
    names.push(imp.name);
    undeclared.set(imp.module, names);
  }
  for (const [module, names] of undeclared) {
    const shown = names
      .slice(0, 3)
      .map((n) => `"${module}"."${n}"`)
      .join(', ');
    const more = names.length > 3 ? ` and ${names.length - 3} more` : '';
    issues.push({
      at: `import module "${module}"`,
      message:
        `the module imports ${shown}${more} from "${module}", which is neither ${WASI_MODULE} nor declared; ` +
        `declare it in host_imports in manifest.json if the orchestrator provides it`,
    });
  }

  const memoryMib = manifest.limits?.memory_mib ?? DEFAULT_MEMORY_MIB;
  const pages = info.memories.reduce((sum, m) => sum + m.initialPages, 0);
  const limitPages = (memoryMib * 1024 * 1024) / WASM_PAGE_SIZE;
  if (pages > limitPages) {
    issues.push({
      at: 'memory',
      message:
        `initial memory is ${pages} pages (${formatBytes(pages * WASM_PAGE_SIZE)}), more than ` +
        `limits.memory_mib allows (${memoryMib} MiB = ${limitPages} pages); lower the module's initial memory ` +
        `(e.g. -C link-arg=--initial-memory=BYTES)` +
        (pages <= (DEFAULT_MEMORY_MIB * 1024 * 1024) / WASM_PAGE_SIZE
          ? ` or raise limits.memory_mib (at most ${DEFAULT_MEMORY_MIB})`
          : ''),
    });
  }

  if (issues.length === 0) return;
  const first = issues[0]!;
  const headline =
    issues.length === 1
      ? `WebAssembly module ${source} fails the build checks: ${first.at}: ${first.message}`
      : `WebAssembly module ${source} fails ${issues.length} build checks`;
  throw new AurionError('WASM_INVALID', headline, {
    issues: issues.length === 1 ? [] : issues,
    hint: 'fix the module or manifest.json; `aurion-plugin build` checks exports, imports and memory (SPEC §7)',
  });
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024 * 1024) return `${(n / 1024 ** 4).toFixed(1)} TiB`;
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 * 1024) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n / 1024} KiB`;
}
