/**
 * The memory cap of SPEC §8, enforced in the module itself. Node has no memory limiter for WebAssembly
 * (Worker `resourceLimits` do not cover ArrayBuffers), so before compiling, every memory the module defines or
 * imports gets a maximum of at most the cap: `memory.grow` past it then returns -1 inside the plugin, as the
 * orchestrator's limiter makes it do. This runs on the bytes whose digest was already verified, after the
 * scanner accepted them (so the structure is known to be valid); the rewrite only lowers maxima.
 */
import { AurionError } from '../../errors.js';
import { WASM_PAGE_SIZE } from '../wasm.js';

class Bytes {
  pos = 0;
  constructor(readonly data: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.data.length) throw malformed('unexpected end');
    return this.data[this.pos++]!;
  }
  /** Unsigned LEB128 as a bigint (memory64 limits need 64 bits). */
  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw malformed('LEB128 too long');
    }
  }
  /** Skips a signed LEB128 (heap types). */
  skipSleb(): void {
    while (this.byte() & 0x80) {
      /* continuation bytes */
    }
  }
  skip(n: number): void {
    if (this.pos + n > this.data.length) throw malformed('unexpected end');
    this.pos += n;
  }
}

function malformed(what: string): AurionError {
  // The scanner accepted the module before this runs, so this is a disagreement between the two parsers.
  return new AurionError('WASM_INVALID', `cannot set the memory cap: the module does not parse (${what})`);
}

function uleb(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

/** A reference or value type: one byte, or 0x63/0x64 followed by a heap type (GC proposal). */
function skipType(r: Bytes): void {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.skipSleb();
}

/** Reads memory limits and writes them back with the maximum lowered to `cap` pages. */
function capLimits(r: Bytes, out: number[], cap: bigint, capMib: number): void {
  const flags = r.byte();
  const min = r.uleb();
  const max = flags & 0x01 ? r.uleb() : undefined;
  if (min > cap) {
    throw new AurionError(
      'PLUGIN_FAILED',
      `memory limit of ${capMib} MiB reached: the module's initial memory is ${min} pages (${Number(min) / 16} MiB)`,
      {
        hint: 'lower the initial memory of the module, or run with a larger --memory (up to limits.memory_mib)',
      },
    );
  }
  const newMax = max === undefined || max > cap ? cap : max;
  out.push(flags | 0x01, ...uleb(min), ...uleb(newMax));
}

/**
 * Returns the module with every memory's maximum at most `capBytes` (rounded down to whole 64 KiB pages).
 * PLUGIN_FAILED when a memory's initial size is already above the cap.
 */
export function capModuleMemory(module: Uint8Array, capBytes: number): Uint8Array {
  const cap = BigInt(Math.floor(capBytes / WASM_PAGE_SIZE));
  const capMib = capBytes / (1024 * 1024);
  const r = new Bytes(module);
  r.skip(8); // magic and version
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  while (r.pos < module.length) {
    const start = r.pos;
    const id = r.byte();
    const size = Number(r.uleb());
    const bodyStart = r.pos;
    r.skip(size);
    if (id !== 2 && id !== 5) {
      parts.push(module.subarray(start, r.pos));
      continue;
    }
    const body = new Bytes(module.subarray(bodyStart, bodyStart + size));
    const out: number[] = [];
    const count = body.uleb();
    out.push(...uleb(count));
    for (let i = 0n; i < count; i++) {
      if (id === 5) {
        capLimits(body, out, cap, capMib);
        continue;
      }
      const itemStart = body.pos;
      body.skip(Number(body.uleb())); // module name
      body.skip(Number(body.uleb())); // field name
      const kind = body.byte();
      if (kind === 0x02) {
        out.push(...body.data.subarray(itemStart, body.pos));
        capLimits(body, out, cap, capMib);
        continue;
      }
      if (kind === 0x00) body.uleb();
      else if (kind === 0x01) {
        skipType(body);
        const flags = body.byte();
        body.uleb();
        if (flags & 0x01) body.uleb();
      } else if (kind === 0x03) {
        skipType(body);
        body.byte();
      } else if (kind === 0x04) {
        body.byte();
        body.uleb();
      } else throw malformed(`unknown import kind ${kind}`);
      out.push(...body.data.subarray(itemStart, body.pos));
    }
    if (body.pos !== size) throw malformed('section size');
    parts.push(Uint8Array.of(id, ...uleb(BigInt(out.length)), ...out));
  }
  return Buffer.concat(parts);
}
