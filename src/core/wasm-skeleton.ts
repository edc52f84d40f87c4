/**
 * Full validation of a streamed WebAssembly module by the JavaScript engine (`WebAssembly.validate`), without
 * holding the whole module.
 *
 * While the module streams by, a *skeleton* is assembled: the header and every non-custom section byte for
 * byte, except that the data section is rewritten with the same segments (count, flags, memory indexes, offset
 * expressions) and empty payloads, and custom sections are left out. Neither changes the verdict: a data
 * segment's bytes never take part in validation (only instantiation compares its length with the memory), and
 * the engine does not validate the contents of custom sections (their framing and name are checked by
 * WasmScanner, as the engine would). The skeleton is as big as the module's code and metadata, which is all
 * the engine validates; `WebAssembly.validate` of it is the engine's verdict on the module (docs/bundle.md,
 * "Module validation").
 */

/** The part of the engine's WebAssembly API used here (lib ES2023 has no WebAssembly types). */
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
};

/**
 * The most skeleton bytes (code and metadata) held for validation. Real plugins need a few MiB, the largest
 * WebAssembly applications around 100 MiB; the cap keeps a hostile module of code (a bundle may hold 512 MiB)
 * from making build or inspect hold hundreds of MiB, as MAX_DECODED_SECTION does for the decoded sections.
 */
export const MAX_VALIDATED_BYTES = 128 * 1024 * 1024;

/** Reports a problem at an absolute byte offset of the module; never returns. */
export type FailAt = (at: number, message: string) => never;

/** A growable byte buffer. */
class Bytes {
  private buffer = new Uint8Array(64);
  length = 0;

  push(b: number): void {
    if (this.length === this.buffer.length) this.grow(this.length + 1);
    this.buffer[this.length++] = b;
  }

  pushAll(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buffer.length) this.grow(this.length + bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.max(needed, this.buffer.length * 2));
    next.set(this.view());
    this.buffer = next;
  }
}

function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/**
 * A step of the data section parser: 0 asks for the next byte (the value `yield` returns), n > 0 says that the
 * next n bytes are payload to skip.
 */
type Step = number;
type Parser<T> = Generator<Step, T, number>;

/** One byte, copied to `out` when given. */
function* byte(out: Bytes | undefined): Parser<number> {
  const b = yield 0;
  out?.push(b);
  return b;
}

/** An unsigned LEB128 u32 (at most 5 bytes, value < 2^32), copied to `out` when given. */
function* u32(out: Bytes | undefined, what: string, fail: (message: string) => never): Parser<number> {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const b = yield* byte(out);
    if (i === 4 && b & 0x80)
      fail(`${what}: integer representation too long (a u32 LEB128 takes at most 5 bytes)`);
    if (i === 4 && b & 0x70) fail(`${what}: integer too large (a u32 LEB128 value must fit in 32 bits)`);
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) break;
  }
  return result;
}

/** An immediate LEB128 of at most `max` bytes, copied as is: the engine checks its value. */
function* immediate(out: Bytes, max: number, what: string, fail: (message: string) => never): Parser<void> {
  for (let i = 0; i < max; i++) {
    if (((yield* byte(out)) & 0x80) === 0) return;
  }
  fail(`${what}: integer representation too long (at most ${max} bytes)`);
}

/**
 * A constant expression up to and including its `end`, copied as is. Only its length matters here; the engine
 * checks its types and indexes. An opcode that is not a constant instruction makes the module invalid (the
 * engine refuses every other instruction there), and its length is unknown: refused here.
 */
function* constExpr(out: Bytes, what: string, fail: (message: string) => never): Parser<void> {
  for (;;) {
    const op = yield* byte(out);
    switch (op) {
      case 0x0b: // end
        return;
      case 0x41: // i32.const
      case 0x23: // global.get
      case 0xd2: // ref.func
      case 0xd0: // ref.null heaptype (s33)
        yield* immediate(out, 5, what, fail);
        break;
      case 0x42: // i64.const
        yield* immediate(out, 10, what, fail);
        break;
      case 0x43: // f32.const
      case 0x44: // f64.const
        for (let i = op === 0x43 ? 4 : 8; i > 0; i--) yield* byte(out);
        break;
      case 0x6a: // i32.add, i32.sub, i32.mul, i64.add, i64.sub, i64.mul (extended constant expressions)
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      case 0xfd: {
        const sub = yield* u32(out, what, fail);
        if (sub !== 12) fail(`${what}: SIMD instruction ${sub} is not a constant instruction`);
        for (let i = 0; i < 16; i++) yield* byte(out); // v128.const
        break;
      }
      default:
        fail(`${what}: opcode 0x${op.toString(16).padStart(2, '0')} is not a constant instruction`);
    }
  }
}

/** The data section with every payload dropped: the same segments with length 0. */
function* dataSection(out: Bytes, fail: (message: string) => never): Parser<void> {
  const count = yield* u32(out, 'segment count', fail);
  for (let s = 0; s < count; s++) {
    const what = `data segment ${s}`;
    const flags = yield* u32(out, what, fail);
    if (flags > 2)
      fail(`${what}: unknown segment flags ${flags} (0 active, 1 passive, 2 active with a memory index)`);
    if (flags === 2) yield* u32(out, `${what}: memory index`, fail);
    if (flags !== 1) yield* constExpr(out, `${what}: offset expression`, fail);
    const length = yield* u32(undefined, `${what}: length`, fail);
    out.push(0);
    if (length > 0) yield length;
  }
}

/** Rewrites a data section streamed in chunks; the bytes of each payload are skipped, never held. */
class DataSectionRewriter {
  readonly out = new Bytes();
  private readonly parser: Parser<void>;
  private done = false;
  private skip = 0;
  private offset: number;

  constructor(
    private readonly bodyStart: number,
    private readonly bodySize: number,
    private readonly fail: FailAt,
  ) {
    this.offset = bodyStart;
    this.parser = dataSection(this.out, (message) => this.fail(this.offset, `data section: ${message}`));
    this.advance(0);
  }

  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, bytes.length - i);
        this.skip -= n;
        this.offset += n;
        i += n;
      } else if (this.done) {
        const left = this.bodyStart + this.bodySize - this.offset;
        this.fail(
          this.offset,
          `data section: ${left} bytes left over after its last segment (wrong section size)`,
        );
      } else {
        const b = bytes[i++]!;
        this.advance(b);
        this.offset++;
      }
    }
  }

  end(): Uint8Array {
    if (!this.done || this.skip > 0) {
      this.fail(
        this.offset,
        'data section: the section ends inside a data segment (a segment or the segment count runs past its size)',
      );
    }
    return this.out.view();
  }

  private advance(input: number): void {
    let r = this.parser.next(input);
    while (!r.done && r.value > 0) {
      this.skip += r.value;
      r = this.parser.next(0);
    }
    this.done = r.done === true;
  }
}

/** A part of the skeleton copied from the module: skeleton offsets from `at` map to module offsets from `from`. */
interface Span {
  readonly at: number;
  readonly from: number;
  /** false for the rewritten data section: its offsets map to the section's start. */
  readonly exact: boolean;
}

/** The skeleton of a module as it streams by; WasmScanner drives it section by section. */
export class WasmSkeleton {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private readonly spans: Span[] = [];
  private keep = false;
  private data: DataSectionRewriter | undefined;
  private sectionStart = 0;

  constructor(private readonly fail: FailAt) {}

  /** The 8-byte header. */
  header(bytes: Uint8Array): void {
    this.spans.push({ at: 0, from: 0, exact: true });
    this.add(new Uint8Array(bytes));
  }

  /** A section starts: its id byte is at `sectionStart`, its body of `size` bytes at `bodyStart`. */
  startSection(id: number, size: number, sectionStart: number, bodyStart: number): void {
    this.sectionStart = sectionStart;
    this.keep = id !== 0;
    this.data = id === 11 ? new DataSectionRewriter(bodyStart, size, this.fail) : undefined;
    if (this.keep && this.data === undefined) {
      if (this.size + size > MAX_VALIDATED_BYTES) this.tooBig(sectionStart);
      this.spans.push({ at: this.size, from: sectionStart, exact: false });
      this.add(new Uint8Array([id, ...leb128(size)]));
      this.spans.push({ at: this.size, from: bodyStart, exact: true });
    }
  }

  /** The next bytes of the current section's body; copied when kept. */
  body(bytes: Uint8Array): void {
    if (this.data !== undefined) {
      this.data.push(bytes);
      if (this.size + this.data.out.length > MAX_VALIDATED_BYTES) this.tooBig(this.sectionStart);
    } else if (this.keep) {
      this.add(new Uint8Array(bytes));
    }
  }

  /** The current section's body is complete. */
  endSection(): void {
    if (this.data === undefined) return;
    const body = this.data.end();
    this.data = undefined;
    this.spans.push({ at: this.size, from: this.sectionStart, exact: false });
    this.add(new Uint8Array([11, ...leb128(body.length)]));
    this.add(new Uint8Array(body));
  }

  /** The number of bytes held. */
  get heldBytes(): number {
    return this.size;
  }

  /** The engine's verdict on the module; fails (WASM_INVALID via `fail`) with its message when it refuses. */
  validate(): void {
    const skeleton = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts.length = 0;
    if (WebAssembly.validate(skeleton)) return;
    // validate() says only false; compiling the refused module is how the engine says why (it stops at the
    // first invalid function, so this is not a full compile).
    let message = 'WebAssembly.validate refuses it';
    try {
      new WebAssembly.Module(skeleton);
    } catch (e) {
      if (e instanceof Error) message = e.message.replace(/^WebAssembly\.Module\(\): /, '');
    }
    const match = /\s*@\+(\d+)\s*$/.exec(message);
    const at = match === null ? 0 : this.moduleOffset(Number(match[1]));
    this.fail(
      at,
      `the WebAssembly engine refuses it: ${match === null ? message : message.slice(0, match.index)}`,
    );
  }

  private tooBig(at: number): never {
    return this.fail(
      at,
      `the module's code and metadata (every section but custom sections and data payloads) exceed ` +
        `${MAX_VALIDATED_BYTES / 1024 / 1024} MiB, the most aurion-plugin validates`,
    );
  }

  private add(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  /** The module offset of a skeleton offset (the start of the data section for one inside it). */
  private moduleOffset(at: number): number {
    let span = this.spans[0]!;
    for (const s of this.spans) if (s.at <= at) span = s;
    return span.exact ? span.from + (at - span.at) : span.from;
  }
}
