/**
 * A strict, streaming tar parser and the few header encoders the writer needs.
 *
 * The parser is fed decompressed bytes in chunks of any size and reports entries to a handler synchronously;
 * entry data is passed on as views of the input chunks (never copied), so a module is never held whole. It
 * enforces the tar *format*: ustar or GNU magic, header checksums, numeric fields, PAX `x` records (path, size
 * and mtime honoured; anything that could change how other tools read the data refused), no global PAX or GNU
 * long-name headers, the two-zero-block end-of-archive followed by zero bytes only, and no truncation. The
 * bundle *policy* (which names, which types, which sizes) belongs to the handler (reader.ts).
 */
import { AurionError } from '../../errors.js';
import { describeName, USTAR_MAX_NUMBER } from './format.js';

export const BLOCK = 512;

/** One tar entry as the parser reports it, after any PAX overrides. */
export interface TarEntry {
  /** The effective name (PAX `path` when present), one char per byte (latin1), for a byte-exact comparison. */
  readonly name: string;
  /** 'file' for a regular file, otherwise what the typeflag says (e.g. 'symbolic link'). */
  readonly kind: string;
  readonly size: number;
  /** Seconds since the epoch (PAX `mtime` truncated to whole seconds when present). */
  readonly mtime: number;
  /** Offset of the entry's first header (its PAX header when it has one) in the tar stream. */
  readonly offset: number;
}

export interface TarHandler {
  /** A new entry; throw to reject it before any of its data is read. */
  entry(entry: TarEntry): void;
  /** The next piece of the current entry's data: a view into the input, valid as long as the caller keeps it. */
  data(chunk: Buffer): void;
  /** All of the current entry's data was delivered. */
  entryEnd(): void;
}

export interface TarParserOptions {
  /** Largest PAX extended header data accepted (bytes). */
  readonly maxPaxSize?: number;
  /** Largest amount of zero padding accepted after the end-of-archive marker (bytes). */
  readonly maxTrailingZeros?: number;
}

/** Typeflags other than regular files, PAX and GNU long names: named for messages, always refused by readers. */
const KIND_OF_TYPEFLAG: Record<string, string> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '5': 'directory',
  '6': 'FIFO',
  '7': 'contiguous file',
  D: 'GNU dump directory',
  M: 'GNU multi-volume continuation',
  N: 'GNU old long-name entry',
  S: 'GNU sparse file',
  V: 'GNU volume label',
};

/** PAX keywords that do not change which bytes an entry holds or where it goes: accepted and ignored. */
const IGNORED_PAX_KEYS = new Set(['atime', 'ctime', 'uid', 'gid', 'uname', 'gname', 'comment', 'charset']);
const IGNORED_PAX_PREFIXES = ['SCHILY.xattr.', 'LIBARCHIVE.xattr.'];

const ZEROS = Buffer.alloc(64 * 1024);

enum State {
  Header,
  Data,
  Pax,
  Padding,
  End,
}

interface PaxOverrides {
  path?: string;
  size?: number;
  mtime?: number;
  offset: number;
}

export class TarParser {
  private readonly maxPaxSize: number;
  private readonly maxTrailingZeros: number;
  private state = State.Header;
  /** Bytes of the tar stream consumed so far. */
  private offset = 0;
  /** A header split across input chunks is assembled here (the only copy the parser makes of tar data). */
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Data bytes (or padding bytes) left in the current entry. */
  private remaining = 0;
  private padding = 0;
  private paxData: Buffer | undefined;
  private paxFill = 0;
  private pax: PaxOverrides | undefined;
  private zeroBlocks = 0;
  private trailing = 0;
  private current: TarEntry | undefined;

  constructor(
    /** Prefix of every message, e.g. `malformed bundle dist/x.aurion`. */
    private readonly source: string,
    private readonly handler: TarHandler,
    options: TarParserOptions = {},
  ) {
    this.maxPaxSize = options.maxPaxSize ?? 64 * 1024;
    this.maxTrailingZeros = options.maxTrailingZeros ?? 1024 * 1024;
  }

  /** Consumes the next piece of the tar stream. */
  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      switch (this.state) {
        case State.Header: {
          let block: Buffer;
          if (this.headerFill === 0 && len - pos >= BLOCK) {
            block = chunk.subarray(pos, pos + BLOCK);
            pos += BLOCK;
          } else {
            const n = Math.min(BLOCK - this.headerFill, len - pos);
            chunk.copy(this.header, this.headerFill, pos, pos + n);
            this.headerFill += n;
            pos += n;
            if (this.headerFill < BLOCK) break;
            this.headerFill = 0;
            block = this.header;
          }
          this.offset += BLOCK;
          this.onHeader(block, this.offset - BLOCK);
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, len - pos);
          this.handler.data(chunk.subarray(pos, pos + n));
          pos += n;
          this.offset += n;
          this.remaining -= n;
          if (this.remaining === 0) this.endData();
          break;
        }
        case State.Pax: {
          const n = Math.min(this.remaining, len - pos);
          chunk.copy(this.paxData!, this.paxFill, pos, pos + n);
          this.paxFill += n;
          pos += n;
          this.offset += n;
          this.remaining -= n;
          if (this.remaining === 0) this.endPax();
          break;
        }
        case State.Padding: {
          const n = Math.min(this.padding, len - pos);
          pos += n;
          this.offset += n;
          this.padding -= n;
          if (this.padding === 0) this.state = State.Header;
          break;
        }
        case State.End: {
          this.checkTrailing(chunk, pos);
          return;
        }
      }
    }
  }

  /** Called once the whole stream was pushed: anything but a complete archive is truncated. */
  finish(): void {
    if (this.state === State.End) return;
    let where: string;
    if (this.state === State.Data && this.current !== undefined) {
      where = `in the data of tar entry ${describeName(this.current.name)}`;
    } else if (this.state === State.Pax) {
      where = 'in a PAX extended header';
    } else if (this.headerFill > 0) {
      where = 'in a tar header';
    } else if (this.zeroBlocks === 1) {
      where = 'after the first of the two zero blocks that end a tar archive';
    } else {
      where = 'before the end-of-archive marker (two zero blocks)';
    }
    throw this.fail(`the tar archive is truncated ${where} (at offset ${this.offset})`);
  }

  private onHeader(block: Buffer, offset: number): void {
    if (block.equals(ZEROS.subarray(0, BLOCK))) {
      if (this.pax !== undefined) {
        throw this.fail(`the PAX extended header at offset ${this.pax.offset} is not followed by an entry`);
      }
      this.zeroBlocks += 1;
      if (this.zeroBlocks === 2) this.state = State.End;
      return;
    }
    if (this.zeroBlocks > 0) {
      throw this.fail(
        `a lone zero block at offset ${offset - BLOCK} is followed by more headers (a tar archive ends with two zero blocks)`,
      );
    }
    this.checkChecksum(block, offset);
    const magic = block.toString('latin1', 257, 265);
    const gnu = magic === 'ustar  \0';
    if (magic !== 'ustar\x0000' && !gnu) {
      throw this.fail(`the header at offset ${offset} is not a ustar header (bad magic)`);
    }
    const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
    let name = cString(block, 0, 100);
    const prefix = gnu ? '' : cString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
    const size = this.numeric(block, 124, 12, 'size', name, offset);
    const mtime = this.numeric(block, 136, 12, 'mtime', name, offset);

    if (typeflag === 'x') {
      if (this.pax !== undefined) {
        throw this.fail(`the PAX extended header at offset ${offset} follows another PAX extended header`);
      }
      if (size > this.maxPaxSize) {
        throw this.fail(
          `the PAX extended header at offset ${offset} is ${size} bytes, more than the limit of ${this.maxPaxSize}`,
        );
      }
      this.pax = { offset };
      this.paxData = Buffer.alloc(size);
      this.paxFill = 0;
      this.remaining = size;
      this.padding = padLength(size);
      this.state = State.Pax;
      if (size === 0) this.endPax();
      return;
    }
    if (typeflag === 'g') {
      throw this.fail(`global PAX header ${describeName(name)} at offset ${offset} is not accepted`);
    }
    if (typeflag === 'L' || typeflag === 'K') {
      throw this.fail(
        `GNU long-${typeflag === 'L' ? 'name' : 'link'} header ${describeName(name)} at offset ${offset} is not accepted`,
      );
    }
    const pax = this.pax;
    this.pax = undefined;
    const entry: TarEntry = {
      name: pax?.path ?? name,
      kind: typeflag === '0' ? 'file' : (KIND_OF_TYPEFLAG[typeflag] ?? `entry of unknown type '${typeflag}'`),
      size: pax?.size ?? size,
      mtime: pax?.mtime ?? mtime,
      offset: pax?.offset ?? offset,
    };
    this.current = entry;
    this.handler.entry(entry);
    // Only regular files get here in a bundle; for other types the handler has thrown.
    this.remaining = entry.size;
    this.padding = padLength(entry.size);
    this.state = State.Data;
    if (entry.size === 0) this.endData();
  }

  private endData(): void {
    this.handler.entryEnd();
    this.current = undefined;
    this.state = this.padding > 0 ? State.Padding : State.Header;
  }

  private endPax(): void {
    this.pax = { ...this.parsePax(this.paxData!, this.pax!.offset), offset: this.pax!.offset };
    this.paxData = undefined;
    this.state = this.padding > 0 ? State.Padding : State.Header;
  }

  /** PAX records are `<length> <keyword>=<value>\n`; every byte of the header data must belong to one. */
  private parsePax(data: Buffer, offset: number): Omit<PaxOverrides, 'offset'> {
    const where = `the PAX extended header at offset ${offset}`;
    const result: Omit<PaxOverrides, 'offset'> = {};
    const seen = new Set<string>();
    let pos = 0;
    while (pos < data.length) {
      const space = data.indexOf(0x20, pos);
      const lengthText = space < 0 ? '' : data.toString('latin1', pos, space);
      if (!/^[1-9][0-9]{0,7}$/.test(lengthText)) throw this.fail(`${where} has a malformed record length`);
      const end = pos + Number(lengthText);
      if (end > data.length || data[end - 1] !== 0x0a) {
        throw this.fail(`${where} has a record whose length does not match its contents`);
      }
      const equals = data.indexOf(0x3d, space + 1);
      if (equals < 0 || equals >= end - 1 || equals === space + 1) {
        throw this.fail(`${where} has a record without a keyword`);
      }
      const key = data.toString('latin1', space + 1, equals);
      const value = data.toString('latin1', equals + 1, end - 1);
      if (seen.has(key)) throw this.fail(`${where} repeats the record ${describeName(key)}`);
      seen.add(key);
      if (key === 'path') {
        if (value === '') throw this.fail(`${where} has an empty path record`);
        result.path = value;
      } else if (key === 'size') {
        result.size = decimal(value, false, () => this.fail(`${where} has a malformed size record`));
      } else if (key === 'mtime') {
        result.mtime = decimal(value, true, () => this.fail(`${where} has a malformed mtime record`));
      } else if (!IGNORED_PAX_KEYS.has(key) && !IGNORED_PAX_PREFIXES.some((p) => key.startsWith(p))) {
        // e.g. GNU.sparse.* (changes how the data is read), linkpath, hdrcharset: refused, not guessed at.
        throw this.fail(`${where} has the record ${describeName(key)}, which bundles do not accept`);
      }
      pos = end;
    }
    return result;
  }

  /** The header checksum: the unsigned byte sum of the header with the checksum field read as spaces. */
  private checkChecksum(block: Buffer, offset: number): void {
    let sum = 8 * 0x20;
    for (let i = 0; i < 148; i++) sum += block[i]!;
    for (let i = 156; i < BLOCK; i++) sum += block[i]!;
    const stored = octal(block, 148, 8);
    if (stored !== sum) {
      throw this.fail(`bad header checksum at offset ${offset} (the data is corrupt or not a tar archive)`);
    }
  }

  /** A numeric header field: octal digits, or GNU base-256 (first byte 0x80) for large values. */
  private numeric(block: Buffer, start: number, length: number, field: string, name: string, offset: number) {
    const value = block[start] === 0x80 ? base256(block, start, length) : octal(block, start, length);
    if (value === undefined) {
      throw this.fail(`tar entry ${describeName(name)} at offset ${offset} has a malformed ${field} field`);
    }
    return value;
  }

  private checkTrailing(chunk: Buffer, pos: number): void {
    for (let at = pos; at < chunk.length; at += ZEROS.length) {
      const n = Math.min(ZEROS.length, chunk.length - at);
      if (!chunk.subarray(at, at + n).equals(ZEROS.subarray(0, n))) {
        let i = at;
        while (chunk[i] === 0) i++;
        throw this.fail(
          `there is data after the tar end-of-archive marker (non-zero byte at offset ${this.offset + (i - pos)})`,
        );
      }
    }
    this.trailing += chunk.length - pos;
    this.offset += chunk.length - pos;
    if (this.trailing > this.maxTrailingZeros) {
      throw this.fail(
        `there are more than ${this.maxTrailingZeros} bytes of zero padding after the tar end-of-archive marker`,
      );
    }
  }

  private fail(message: string): AurionError {
    return new AurionError('BUNDLE_INVALID', `${this.source}: ${message}`, {
      hint: 'the bundle is damaged or was not made by aurion-plugin; rebuild it with `aurion-plugin build`',
    });
  }
}

function padLength(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** A NUL-terminated (or field-filling) string, one char per byte. */
function cString(block: Buffer, start: number, length: number): string {
  const nul = block.indexOf(0, start);
  const end = nul < 0 || nul > start + length ? start + length : nul;
  return block.toString('latin1', start, end);
}

/** Octal digits with optional leading spaces, ended by NUL or space; undefined when malformed. */
function octal(block: Buffer, start: number, length: number): number | undefined {
  const end = start + length;
  let i = start;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < end && block[i]! >= 0x30 && block[i]! <= 0x37; i++, digits++)
    value = value * 8 + block[i]! - 0x30;
  for (; i < end; i++) if (block[i] !== 0 && block[i] !== 0x20) return undefined;
  return digits === 0 ? undefined : value;
}

/** GNU base-256: 0x80 then a big-endian number (0xff, a negative number, is refused). */
function base256(block: Buffer, start: number, length: number): number | undefined {
  let value = 0;
  for (let i = start + 1; i < start + length; i++) {
    value = value * 256 + block[i]!;
    if (value > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return value;
}

/** A PAX decimal: digits, with a fractional part allowed for times (dropped: whole seconds are kept). */
function decimal(text: string, fraction: boolean, fail: () => AurionError): number {
  const m = (fraction ? /^([0-9]+)(?:\.[0-9]+)?$/ : /^([0-9]+)$/).exec(text);
  const value = m === null ? Number.NaN : Number(m[1]);
  if (!Number.isSafeInteger(value)) throw fail();
  return value;
}

// ---- writing -------------------------------------------------------------------------------------------------

function writeOctal(block: Buffer, start: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0'), start, length - 1, 'latin1');
  block[start + length - 1] = 0;
}

/**
 * A plain POSIX ustar header for a regular file: mode 0644, uid/gid 0, empty user and group names. Every
 * byte is determined by (name, size, mtime), which is what makes bundles reproducible.
 */
export function ustarFileHeader(name: string, size: number, mtime: number): Buffer {
  if (!/^[\x21-\x7e]{1,100}$/.test(name))
    throw new Error(`tar entry name ${describeName(name)} is not short ASCII`);
  for (const [what, value] of [
    ['size', size],
    ['mtime', mtime],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > USTAR_MAX_NUMBER) {
      throw new AurionError(
        'BUNDLE_INVALID',
        `tar entry ${name}: ${what} ${value} does not fit a ustar header`,
      );
    }
  }
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 'latin1');
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, mtime);
  block[156] = 0x30; // '0': regular file
  block.write('ustar\x0000', 257, 'latin1');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

/** Zero bytes that pad an entry's data to a whole block. */
export function paddingFor(size: number): Buffer {
  return ZEROS.subarray(0, padLength(size));
}

/** The end-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE: Buffer = ZEROS.subarray(0, 2 * BLOCK);
