/**
 * Bundles on disk: opens the file (a regular file only: a FIFO, device or directory is IO_ERROR at once, never
 * a hang), then hands its bytes to the one bundle reader (src/core/bundle/reader.ts). A small file is read with
 * one call into a scratch buffer and parsed at once; anything else, or a small file that cannot be inflated in
 * one call, streams.
 */
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import {
  type BundleContents,
  CHUNK,
  changedWhileRead,
  type ModuleSink,
  parseBundleBytes,
  parseBundleStream,
  type ReadBundleOptions,
  SMALL_FILE,
} from '../core/bundle/reader.js';
import type { BundleSpec, WrittenBundle } from '../core/bundle/writer.js';
import { writeBundle } from '../core/bundle/writer.js';
import { AurionError, ioError } from '../errors.js';
import { writeStreamAtomic } from './atomic.js';

/**
 * Where small bundle files are read: one buffer for the process, since a file's bytes are needed only until
 * they are inflated, synchronously, with nothing else running in between (no allocation per bundle of a
 * batch). Whatever must outlive that — the streaming fallback below — takes a copy.
 */
let scratch: Buffer | undefined;

/** Reads a whole small file (one byte more than expected, to notice growth) into `scratch`; closes it. */
function readWhole(fd: number, size: number): Buffer {
  try {
    scratch ??= Buffer.allocUnsafeSlow(SMALL_FILE + 1);
    const buffer = scratch.subarray(0, size + 1);
    let filled = 0;
    for (;;) {
      const wanted = buffer.length - filled;
      const bytesRead = readSync(fd, buffer, filled, wanted, filled);
      filled += bytesRead;
      // A regular file reads short only at its end, so a short read needs no second call to find it.
      if (bytesRead === 0 || bytesRead < wanted) break;
      if (filled === buffer.length) break;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** Opens a bundle file: its descriptor and size. IO_ERROR when it cannot be opened or is not a regular file. */
function openBundle(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    // Non-blocking only so that a FIFO is refused below instead of waiting for a writer; no effect on files.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw ioError(path, 'read bundle', e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new AurionError('IO_ERROR', `cannot read bundle ${path}: not a regular file`);
    }
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    if (e instanceof AurionError) throw e;
    throw ioError(path, 'read bundle', e);
  }
}

/** Reads and checks a bundle file. IO_ERROR, BUNDLE_INVALID or MANIFEST_INVALID. */
export function readBundle(path: string, options: ReadBundleOptions = {}): Promise<BundleContents> {
  return scanBundle(path, options);
}

/**
 * readBundle with one more hook: `moduleSink` gets every module chunk and may return a promise, which the
 * reader awaits before inflating more (backpressure for rewriteBundle).
 */
export async function scanBundle(
  path: string,
  options: ReadBundleOptions,
  moduleSink?: ModuleSink,
): Promise<BundleContents> {
  const { fd, size } = openBundle(path);
  let whole: Buffer | undefined;
  if (moduleSink === undefined && size <= SMALL_FILE) {
    try {
      whole = readWhole(fd, size);
    } catch (e) {
      throw ioError(path, 'read bundle', e);
    }
    if (whole.length !== size) throw changedWhileRead(path);
    const contents = parseBundleBytes(path, whole, options);
    if (contents !== undefined) return contents;
  }
  // The stream owns the file descriptor from here on and closes it when it ends or is destroyed (a small
  // bundle that took this path streams from a copy of the bytes already read: `scratch` is reused).
  const file: Readable =
    whole === undefined
      ? createReadStream(path, { fd, highWaterMark: CHUNK })
      : Readable.from([Buffer.from(whole)]);
  return parseBundleStream(path, file, size, options, (e) => ioError(path, 'read bundle', e), moduleSink);
}

export interface BundleSignatures {
  readonly signatureEd25519?: Uint8Array;
  readonly signatureAsc?: Uint8Array;
}

/**
 * Writes a copy of a bundle with signature entries added or replaced (sign). manifest.json and its mtime are
 * kept byte for byte from the first read; module.wasm is streamed out of the source file by a second pass of
 * the same reader, which must see the very module the first read hashed (a file swapped in between is an
 * IO_ERROR and nothing is written). The output appears atomically, so `destPath` may be `source.path`.
 */
export async function rewriteBundle(
  source: BundleContents,
  destPath: string,
  signatures: BundleSignatures,
): Promise<WrittenBundle> {
  const signatureEd25519 = signatures.signatureEd25519 ?? source.signatureEd25519;
  const signatureAsc = signatures.signatureAsc ?? source.signatureAsc;
  const module = source.module;
  const spec: BundleSpec = {
    manifestBytes: source.manifestBytes,
    mtime: source.mtime,
    ...(module === undefined ? {} : { module: { size: module.size, open: () => moduleOf(source, module) } }),
    ...(signatureEd25519 === undefined ? {} : { signatureEd25519 }),
    ...(signatureAsc === undefined ? {} : { signatureAsc }),
  };
  let written: WrittenBundle | undefined;
  await writeStreamAtomic(destPath, async (out) => {
    written = await writeBundle(out, spec);
  });
  return written!;
}

/** module.wasm of a bundle as a stream, by a second read; it ends only once that read checked out. */
function moduleOf(source: BundleContents, expected: { sha256: string; size: number }): Readable {
  const pass = new PassThrough({ highWaterMark: 1024 * 1024 });
  const sink = async (chunk: Buffer) => {
    if (pass.destroyed) throw new Error('module consumer went away');
    if (!pass.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          pass.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          pass.off('drain', onDrain);
          reject(new Error('module consumer went away'));
        };
        pass.once('drain', onDrain);
        pass.once('close', onClose);
      });
    }
  };
  scanBundle(source.path, { maxModuleSize: expected.size }, sink).then(
    (again) => {
      if (again.module?.sha256 !== expected.sha256 || again.module.size !== expected.size) {
        pass.destroy(
          new AurionError('IO_ERROR', `${source.path} changed while it was being rewritten`, {
            hint: 'make sure nothing modifies the bundle while aurion-plugin runs, then try again',
          }),
        );
      } else {
        pass.end();
      }
    },
    (e: unknown) => pass.destroy(e as Error),
  );
  return pass;
}
