/**
 * The deterministic bundle writer (SPEC §4): a gzip-compressed ustar archive whose every byte follows from
 * the entries' contents and the mtime. Entries in the order manifest.json, module.wasm, signature.ed25519,
 * signature.asc; regular files, mode 0644, uid/gid 0, empty user and group names; gzip header with mtime 0,
 * no file name, OS byte 3. The module is streamed from its source, never held whole.
 */
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import { AurionError } from '../../errors.js';
import { DEFAULT_LIMITS, ENTRY } from './format.js';
import { END_OF_ARCHIVE, paddingFor, ustarFileHeader } from './tar.js';

export interface BundleSpec {
  /** manifest.json, byte for byte as it will be stored. */
  readonly manifestBytes: Uint8Array;
  /** module.wasm: its exact size and a function that opens its bytes (called once, when the writer needs them). */
  readonly module?: { readonly size: number; readonly open: () => NodeJS.ReadableStream };
  readonly signatureEd25519?: Uint8Array;
  readonly signatureAsc?: Uint8Array;
  /** mtime of every entry, in seconds: SOURCE_DATE_EPOCH or 0. */
  readonly mtime: number;
}

/** What a writer produced: the SHA-256 and size of the bundle file. */
export interface WrittenBundle {
  readonly sha256: string;
  readonly size: number;
}

/**
 * Deflate parameters are pinned: the compressed bytes depend on them (and on the zlib build, which is why
 * byte-identical output is promised for one tool version, with the Node.js it runs on).
 */
const GZIP_OPTIONS = {
  level: 6,
  memLevel: 8,
  windowBits: 15,
  strategy: zlibConstants.Z_DEFAULT_STRATEGY,
  chunkSize: 256 * 1024,
};

/**
 * The gzip header zlib writes for these options: magic, deflate, no flags (so no name), mtime 0, XFL 0 — and
 * the OS byte, which zlib sets to the build platform's value; it is forced to 3 (Unix) for the same bytes
 * everywhere (SPEC §4).
 */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);

/** Writes a bundle to `out` (and ends it). Resolves with the bundle's SHA-256 and size once all is written. */
export async function writeBundle(out: Writable, spec: BundleSpec): Promise<WrittenBundle> {
  if (spec.manifestBytes.length > DEFAULT_LIMITS.manifest) {
    throw new AurionError(
      'MANIFEST_INVALID',
      `${ENTRY.manifest} is ${spec.manifestBytes.length} bytes; bundles allow at most ${DEFAULT_LIMITS.manifest}`,
    );
  }
  for (const [name, bytes] of [
    [ENTRY.ed25519, spec.signatureEd25519],
    [ENTRY.asc, spec.signatureAsc],
  ] as const) {
    if (bytes !== undefined && bytes.length > DEFAULT_LIMITS.signature) {
      throw new AurionError(
        'BUNDLE_INVALID',
        `${name} is ${bytes.length} bytes; bundles allow at most ${DEFAULT_LIMITS.signature}`,
      );
    }
  }
  const hash = createHash('sha256');
  let size = 0;
  async function* fixGzipHeader(gzipped: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of gzipped) {
      for (let i = 0; size + i < GZIP_HEADER.length && i < chunk.length; i++) {
        const at = size + i;
        if (at === 9) chunk[i] = GZIP_HEADER[9]!;
        else if (chunk[i] !== GZIP_HEADER[at]) {
          throw new AurionError('INTERNAL', `zlib wrote an unexpected gzip header byte ${chunk[i]} at ${at}`);
        }
      }
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }
  await pipeline(tarStream(spec), createGzip(GZIP_OPTIONS), fixGzipHeader, out);
  return { sha256: hash.digest('hex'), size };
}

/** The uncompressed tar stream of a bundle, entry by entry; the module is copied through as it is read. */
async function* tarStream(spec: BundleSpec): AsyncGenerator<Buffer> {
  const { mtime } = spec;
  yield* smallEntry(ENTRY.manifest, spec.manifestBytes, mtime);
  if (spec.module !== undefined) {
    const { size } = spec.module;
    yield ustarFileHeader(ENTRY.module, size, mtime);
    let copied = 0;
    for await (const chunk of spec.module.open()) {
      if (typeof chunk === 'string') throw new TypeError('module stream must yield bytes, not strings');
      copied += chunk.length;
      if (copied > size) break;
      yield chunk;
    }
    if (copied !== size) {
      // The source changed between the read that measured it and this one: never write a lying header.
      throw new AurionError(
        'IO_ERROR',
        `${ENTRY.module} changed while the bundle was written: expected ${size} bytes, read ${copied > size ? 'more' : copied}`,
        { hint: 'make sure nothing modifies the module while aurion-plugin runs, then try again' },
      );
    }
    yield paddingFor(size);
  }
  if (spec.signatureEd25519 !== undefined) yield* smallEntry(ENTRY.ed25519, spec.signatureEd25519, mtime);
  if (spec.signatureAsc !== undefined) yield* smallEntry(ENTRY.asc, spec.signatureAsc, mtime);
  yield END_OF_ARCHIVE;
}

function* smallEntry(name: string, bytes: Uint8Array, mtime: number): Generator<Buffer> {
  yield ustarFileHeader(name, bytes.length, mtime);
  yield Buffer.from(bytes);
  yield paddingFor(bytes.length);
}
