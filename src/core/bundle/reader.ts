/**
 * The one bundle reader (SPEC §4), over bytes and streams: gunzip -> strict tar parser -> bundle entry rules
 * (./entries.ts), in one pass. The module is hashed as it is inflated and never held whole; small entries are
 * collected up to their limits, which are checked from the tar header before any data is read. Opening files is
 * src/io/bundle-file.ts's part (readBundle).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, gunzipSync, type ZlibOptions } from 'node:zlib';
import { AurionError } from '../../errors.js';
import { type BundleContents, BundlePolicy, type ReadBundleOptions } from './entries.js';
import { TarParser } from './tar.js';

export type { BundleContents, ReadBundleOptions } from './entries.js';

/** 1 MiB reads and inflate chunks: few callbacks per MiB, which is what keeps hashing near zlib's own speed. */
export const CHUNK = 1024 * 1024;

/**
 * A bundle file up to this size is read with one call and inflated with one zlib call, synchronously, to at
 * most SMALL_INFLATED bytes: a stream and its thread-pool round trips cost more than such a bundle costs to
 * read and inflate (tens of microseconds), which is what a batch of many small bundles pays for
 * (docs/performance.md). Anything else — a larger output, any zlib error — goes through the streaming path
 * below, from the bytes already read, so every rule and message is the streaming path's.
 */
export const SMALL_FILE = 256 * 1024;
const SMALL_INFLATED = 4 * 1024 * 1024;

/** The inflated bytes and the input consumed (where the last gzip member ends), or undefined on any error. */
function gunzipWhole(input: Buffer): { buffer: Buffer; consumed: number } | undefined {
  // One output chunk for the whole result where possible. The gzip trailer's ISIZE (uncompressed size mod 2^32
  // of the last member) is a hint only, clamped.
  const isize = input.length >= 4 ? input.readUInt32LE(input.length - 4) : 0;
  const chunkSize = Math.min(SMALL_INFLATED, Math.max(16 * 1024, isize + 1));
  try {
    // `info` hands back zlib's engine too, whose bytesWritten is the input it consumed.
    const result = gunzipSync(input, {
      info: true,
      maxOutputLength: SMALL_INFLATED,
      chunkSize,
    } as ZlibOptions);
    const { buffer, engine } = result as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { buffer, consumed: engine.bytesWritten };
  } catch {
    return undefined;
  }
}

/** Where the reader sends module.wasm (rewriteBundle streams it into a new bundle). */
export type ModuleSink = (chunk: Buffer) => void | Promise<void>;

/** The messages every path of the reader shares. */
function invalidFor(path: string) {
  const where = `malformed bundle ${path}`;
  return {
    where,
    invalid: (message: string) =>
      new AurionError('BUNDLE_INVALID', `${where}: ${message}`, {
        hint: 'the bundle is damaged or was not made by aurion-plugin; rebuild it with `aurion-plugin build`',
      }),
  };
}

/** IO_ERROR for a source whose size changed while it was read. */
export function changedWhileRead(path: string): AurionError {
  return new AurionError('IO_ERROR', `cannot read bundle ${path}: the file changed while it was read`);
}

/**
 * A whole small bundle (`bytes`, at most SMALL_FILE) parsed at once, or undefined when it cannot be inflated in
 * one call (any zlib error, a larger output): then parseBundleStream, from the same bytes, gives the verdict.
 * `path` names the bundle in messages.
 */
export function parseBundleBytes(
  path: string,
  bytes: Buffer,
  options: ReadBundleOptions = {},
): BundleContents | undefined {
  const inflated = gunzipWhole(bytes);
  if (inflated === undefined) return undefined;
  const { where, invalid } = invalidFor(path);
  const policy = new BundlePolicy(where, invalid, options, false);
  const parser = new TarParser(where, policy);
  const size = bytes.length;
  options.onProgress?.(size, size);
  parser.push(inflated.buffer);
  // zlib stops at the end of the last gzip member and silently drops what follows; catch it here.
  if (inflated.consumed < size) {
    throw invalid(`there is data after the end of the gzip data (at byte ${inflated.consumed})`);
  }
  parser.finish();
  const digest = options.hashBundle === true ? createHash('sha256').update(bytes).digest('hex') : undefined;
  return policy.contents(path, size, digest);
}

/**
 * Parses a bundle from a stream of its compressed bytes, `size` bytes long (a source that ends at another size
 * changed while it was read: IO_ERROR). `moduleSink` gets every module chunk and may return a promise, which
 * the reader awaits before inflating more (backpressure for rewriteBundle). The stream is consumed and
 * destroyed; an error it emits is `sourceError`'s to describe.
 */
export async function parseBundleStream(
  path: string,
  file: Readable,
  size: number,
  options: ReadBundleOptions,
  sourceError: (e: unknown) => AurionError,
  moduleSink?: ModuleSink,
): Promise<BundleContents> {
  const { where, invalid } = invalidFor(path);
  const policy = new BundlePolicy(where, invalid, options, moduleSink !== undefined);
  const parser = new TarParser(where, policy);
  const fileSize = size;
  const gunzip = createGunzip({ chunkSize: CHUNK });
  const bundleHash = options.hashBundle === true ? createHash('sha256') : undefined;
  let bytesRead = 0;
  let firstBytes: Buffer | undefined;
  let readError: unknown;
  let fileEnded = false;
  // A second 'data' listener sees the same chunks pipe() hands to gunzip: counting and hashing for free.
  file.on('data', (chunk) => {
    const bytes = chunk as Buffer;
    firstBytes ??= Buffer.from(bytes.subarray(0, 2));
    bytesRead += bytes.length;
    bundleHash?.update(bytes);
    options.onProgress?.(bytesRead, fileSize);
  });
  file.on('error', (e) => {
    readError = e;
    gunzip.destroy(e);
  });
  // Errors after the loop stopped (a write after gunzip ended early) must not go unhandled.
  gunzip.on('error', () => {});
  file.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      parser.push(chunk);
      if (moduleSink !== undefined) {
        for (const piece of policy.takeModuleChunks()) await moduleSink(piece);
      }
    }
  } catch (e) {
    if (e instanceof AurionError) throw e;
    if (readError !== undefined) throw sourceError(readError);
    throw gzipError(e, invalid, bytesRead, firstBytes);
  } finally {
    fileEnded = file.readableEnded;
    file.unpipe(gunzip);
    gunzip.destroy();
    file.destroy();
    await finished(file).catch(() => {});
  }
  if (fileEnded && bytesRead !== fileSize) throw changedWhileRead(path);
  // zlib stops at the end of the last gzip member and silently drops what follows; catch it here.
  if (gunzip.bytesWritten < fileSize) {
    throw invalid(`there is data after the end of the gzip data (at byte ${gunzip.bytesWritten})`);
  }
  if (gunzip.bytesWritten !== fileSize) throw changedWhileRead(path);
  parser.finish();
  return policy.contents(path, fileSize, bundleHash?.digest('hex'));
}

/** Turns a zlib failure into a readable BUNDLE_INVALID. */
function gzipError(
  e: unknown,
  invalid: (message: string) => AurionError,
  bytesRead: number,
  firstBytes: Buffer | undefined,
): AurionError {
  const err = e as NodeJS.ErrnoException;
  if (bytesRead === 0) return invalid('the file is empty');
  if (
    firstBytes !== undefined &&
    (firstBytes[0] !== 0x1f || (firstBytes.length > 1 && firstBytes[1] !== 0x8b))
  ) {
    return invalid('the file is not gzip data');
  }
  if (err.code === 'Z_BUF_ERROR') return invalid('the gzip data is truncated');
  // The file starts with the gzip magic, so a bad magic is in what follows a member: zlib takes any non-zero
  // byte after a member for the start of another one (zero bytes make it stop; the bytesWritten check after the loop catches those).
  if (/incorrect header check/.test(err.message)) {
    return invalid('there is data after the end of the gzip data that is not another gzip member');
  }
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return invalid(`the gzip data is corrupt (zlib: ${err.message})`);
  }
  return new AurionError('INTERNAL', `reading the bundle failed: ${err.message}`, { cause: e });
}
