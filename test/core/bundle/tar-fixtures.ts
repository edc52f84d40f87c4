/**
 * Builders for hand-made (and hostile) tar archives and bundles: raw ustar/GNU/PAX headers with any field
 * set to anything, entries, end-of-archive markers, trailing data, gzip in one or several members. Shared by
 * the bundle reader tests and the verify tests.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const BLOCK = 512;

export interface HeaderFields {
  /** The name field (up to 100 bytes; longer is cut). */
  readonly name?: string | Buffer;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** A number (written as octal), or the raw 12-byte field. */
  readonly size?: number | Buffer;
  readonly mtime?: number | Buffer;
  /** One character: '0' regular, '2' symlink, 'x' PAX, 'L' GNU long name, ... */
  readonly typeflag?: string;
  readonly linkname?: string;
  /** 'ustar' (POSIX, the default), 'gnu' ("ustar  \0"), 'v7' (no magic) or the raw 8 bytes at 257. */
  readonly magic?: 'ustar' | 'gnu' | 'v7' | Buffer;
  readonly uname?: string;
  readonly gname?: string;
  /** The ustar prefix field (POSIX magic only). */
  readonly prefix?: string;
  /** Override the computed checksum: a number, or a raw 8-byte field. */
  readonly checksum?: number | Buffer;
}

function octalField(value: number, length: number): Buffer {
  const field = Buffer.alloc(length);
  field.write(value.toString(8).padStart(length - 1, '0'), 0, 'latin1');
  return field;
}

function put(block: Buffer, at: number, length: number, value: string | Buffer | undefined): void {
  if (value === undefined) return;
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  bytes.copy(block, at, 0, Math.min(length, bytes.length));
}

/** Sum of the header bytes with the checksum field read as spaces (what a tar writer stores). */
export function headerChecksum(block: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  return sum;
}

/** One 512-byte header. Defaults: a regular file, mode 0644, uid/gid 0, POSIX ustar magic, valid checksum. */
export function rawHeader(fields: HeaderFields = {}): Buffer {
  const block = Buffer.alloc(BLOCK);
  put(block, 0, 100, fields.name ?? 'manifest.json');
  put(block, 100, 8, octalField(fields.mode ?? 0o644, 8));
  put(block, 108, 8, octalField(fields.uid ?? 0, 8));
  put(block, 116, 8, octalField(fields.gid ?? 0, 8));
  const size = fields.size ?? 0;
  put(block, 124, 12, typeof size === 'number' ? octalField(size, 12) : size);
  const mtime = fields.mtime ?? 0;
  put(block, 136, 12, typeof mtime === 'number' ? octalField(mtime, 12) : mtime);
  block.write(fields.typeflag ?? '0', 156, 'latin1');
  put(block, 157, 100, fields.linkname);
  const magic = fields.magic ?? 'ustar';
  if (magic === 'ustar') put(block, 257, 8, 'ustar\x0000');
  else if (magic === 'gnu') put(block, 257, 8, 'ustar  \0');
  else if (magic !== 'v7') put(block, 257, 8, magic);
  put(block, 265, 32, fields.uname);
  put(block, 297, 32, fields.gname);
  if (magic !== 'v7') {
    put(block, 329, 8, octalField(0, 8));
    put(block, 337, 8, octalField(0, 8));
  }
  put(block, 345, 155, fields.prefix);
  const checksum = fields.checksum ?? headerChecksum(block);
  if (typeof checksum === 'number') block.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  else put(block, 148, 8, checksum);
  return block;
}

/** Zero bytes up to the next block boundary. */
export function padding(length: number): Buffer {
  return Buffer.alloc((BLOCK - (length % BLOCK)) % BLOCK);
}

/** A header, its data, its padding. `fields.size` defaults to the data's length. */
export function entry(name: string, data: Buffer | string = '', fields: HeaderFields = {}): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([rawHeader({ name, size: bytes.length, ...fields }), bytes, padding(bytes.length)]);
}

/** One PAX record, `<length> <key>=<value>\n`, with its self-inclusive length computed. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
  return `${length}${body}`;
}

/** A PAX extended header ('x', or 'g' for global) carrying the given records (or raw record text). */
export function paxHeader(
  records: ReadonlyArray<readonly [string, string]> | string,
  typeflag: 'x' | 'g' = 'x',
  fields: HeaderFields = {},
): Buffer {
  const text = typeof records === 'string' ? records : records.map(([k, v]) => paxRecord(k, v)).join('');
  return entry('./PaxHeaders/manifest.json', Buffer.from(text, 'utf8'), { typeflag, ...fields });
}

/** A GNU long-name ('L') or long-link ('K') header carrying `longName`. */
export function gnuLongHeader(longName: string, typeflag: 'L' | 'K' = 'L'): Buffer {
  return entry('././@LongLink', Buffer.from(`${longName}\0`), { typeflag, magic: 'gnu' });
}

/** The end-of-archive marker: two zero blocks. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

/** A tar stream from parts, ended by the end-of-archive marker. */
export function tar(...parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, endOfArchive()]);
}

/** gzip in one member (zlib defaults). */
export function gzip(data: Buffer): Buffer {
  return gzipSync(data);
}

/** gzip in several members, split at the given offsets of the uncompressed data (BGZF-style). */
export function gzipMembers(data: Buffer, cuts: readonly number[]): Buffer {
  const points = [0, ...cuts, data.length];
  const members: Buffer[] = [];
  for (let i = 0; i + 1 < points.length; i++) members.push(gzipSync(data.subarray(points[i], points[i + 1])));
  return Buffer.concat(members);
}

export const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A wasm bundle manifest as stored in a bundle, for the given module bytes. */
export function wasmManifest(module: Buffer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    name: 'dns-enum',
    version: '1.2.0',
    description: 'Passive DNS enumeration',
    capabilities: ['PassiveEnum'],
    risk_class: 'Low',
    runtime: 'wasm',
    module: { path: 'module.wasm', sha256: sha256Hex(module), size: module.length },
    host_imports: [],
    ...extra,
  };
}

/** A container bundle manifest. */
export function containerManifest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    name: 'port-scan',
    version: '2.0.0',
    capabilities: ['PortScan'],
    risk_class: 'Medium',
    runtime: 'container',
    container: {
      image: `registry.example/org/port-scan@sha256:${'ab'.repeat(32)}`,
      user: '10001:10001',
      read_only_rootfs: true,
      seccomp_profile: 'runtime/default',
      apparmor_profile: 'runtime/default',
      env: [],
    },
    ...extra,
  };
}

export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}

/** Some module bytes (the reader does not parse wasm; build does). */
export const MODULE = Buffer.concat([Buffer.from('\0asm\x01\0\0\0', 'latin1'), Buffer.alloc(1500, 0x2a)]);

/** The tar of a valid wasm bundle: manifest.json then module.wasm (plus extra entries). */
export function wasmBundleTar(...extra: Buffer[]): Buffer {
  return tar(entry('manifest.json', jsonBytes(wasmManifest(MODULE))), entry('module.wasm', MODULE), ...extra);
}

/** Writes bytes to `dir/name` and returns the path. */
export async function writeBundleFile(dir: string, bytes: Buffer, name = 'test.aurion'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}
