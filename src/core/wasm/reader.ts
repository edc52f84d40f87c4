/**
 * The binary reader of the WebAssembly scanner (scanner.ts): LEB128 integers (u32, u64, s33), names and item
 * counts, decoded from a section's buffered bytes with bounds checks. Every error goes to the caller's `fail`
 * with the absolute byte offset in the module.
 */

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A bounded reader over buffered section bytes; every error names the absolute offset. */
export class Reader {
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
