/**
 * Streaming copies with their digest checked on the way: registries hand out bytes that must match a recorded
 * SHA-256 and size, and a bundle may be large, so nothing is ever held whole in memory.
 *
 * A copy can also be scanned in the same pass (pull with trust flags reads and verifies the bundle while it is
 * downloaded): the scanner reads exactly the chunks that are hashed and written, in order, so the bytes written
 * are the bytes verified. The copy's verdict comes first: bytes that do not match the recorded digest are
 * DIGEST_MISMATCH whatever the scanner made of them, so the copy goes on to the end when a scanner gives up early.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { AurionError, ioError } from '../errors.js';

/**
 * How many bytes a copy gathers before it writes them and hands them to a scanner: network reads come in pieces
 * of 16-64 KiB, and an inflating scanner given those pays a thread-pool round trip per piece (measured: pull of
 * the bench's 80 MB bundle 1.15 s with pieces, 0.9 s with 1 MiB batches; docs/performance.md).
 */
const BATCH = 1024 * 1024;
/**
 * How far the copy may run ahead of the scanner: enough for the next batch to be read from the network while
 * the scanner inflates the last one (1 MiB left the scanner idle between batches; 8 MiB cost 45 MiB of peak RSS
 * for no gain over 2).
 */
const SCAN_AHEAD = 2 * 1024 * 1024;

export interface Digest {
  readonly sha256: string;
  readonly size: number;
}

export interface CopyOptions {
  /** The digest the bytes must have; checked as they arrive (too many bytes stop the copy at once). */
  readonly expected?: Digest;
  /** What is being copied, for messages: `dns-enum@1.0.0 from ./registry`. */
  readonly what: string;
  /** What to do about a mismatch (default: the stored copy is corrupted). */
  readonly hint?: string;
  readonly onProgress?: (done: number) => void;
  /** The file the user knows (when `path` is a temporary file beside it), for I/O error messages. */
  readonly target?: string;
}

const CORRUPTED_HINT =
  'the stored copy is corrupted or was tampered with; ask the registry operator to publish it again';

export function digestMismatch(
  what: string,
  expected: Digest,
  actual: Partial<Digest>,
  hint: string = CORRUPTED_HINT,
): AurionError {
  const got =
    actual.sha256 === undefined
      ? `more than ${expected.size} bytes`
      : `sha256 ${actual.sha256} (${actual.size} bytes)`;
  return new AurionError(
    'DIGEST_MISMATCH',
    `${what}: expected sha256 ${expected.sha256} (${expected.size} bytes), got ${got}`,
    { hint },
  );
}

/**
 * Reads the bytes of a copy as they are written: `bytes` is a stream of the very chunks hashed and written, and
 * `size` the size they must add up to. It must consume `bytes` to the end or destroy it; what it returns (or
 * throws) is the copy's `scanned` result once the copy checked out.
 */
export type Scanner<T> = (bytes: Readable, size: number) => Promise<T>;

export interface Copied<T> extends Digest {
  /** What the scanner returned. */
  readonly scanned: T;
}

/**
 * Writes `source` to a new file `path` (created exclusively, flushed to disk before returning) while hashing
 * it. With `expected`, a mismatch throws DIGEST_MISMATCH; the caller removes the file.
 */
export async function copyToNewFile(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  path: string,
  options: CopyOptions,
): Promise<Digest> {
  return copy(source, path, options, undefined);
}

/**
 * copyToNewFile with `scan` reading the same bytes in the same pass. A mismatch is DIGEST_MISMATCH even when
 * the scanner failed; otherwise the scanner's error is thrown as it is, or its result returned.
 */
export async function copyAndScan<T>(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  path: string,
  options: CopyOptions & { readonly expected: Digest },
  scan: Scanner<T>,
): Promise<Copied<T>> {
  const tee = new PassThrough({ highWaterMark: SCAN_AHEAD });
  // Settled, never rejected: the scanner may fail long before the copy ends, and the copy's verdict comes first.
  const scanning = scan(tee, options.expected.size).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  let digest: Digest;
  try {
    digest = await copy(source, path, options, {
      chunk: (chunk) => feed(tee, chunk),
      end: () => {
        if (!tee.destroyed) tee.end();
      },
    });
  } catch (e) {
    // Destroyed with the error, so that a scanner waiting for more bytes (or piping them on) fails instead of
    // waiting for ever.
    tee.destroy(e as Error);
    await scanning;
    throw e;
  }
  const outcome = await scanning;
  if ('error' in outcome) throw outcome.error;
  return { ...digest, scanned: outcome.value };
}

/** Hands a chunk to the scanner, waiting while it is behind; a scanner that gave up (destroyed) is skipped. */
async function feed(tee: PassThrough, chunk: Uint8Array): Promise<void> {
  if (tee.destroyed || tee.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      tee.off('drain', done);
      tee.off('close', done);
      resolve();
    };
    tee.on('drain', done);
    tee.on('close', done);
  });
}

/**
 * Scans a file that was copied and checked already (a TUF download), from its start; `onProgress` is told the
 * bytes read so far.
 */
export function scanFile<T>(
  path: string,
  size: number,
  scan: Scanner<T>,
  onProgress?: (done: number) => void,
): Promise<T> {
  const file = createReadStream(path, { highWaterMark: 1024 * 1024 });
  if (onProgress !== undefined) {
    let done = 0;
    // A second listener beside the scanner's: the stream flows from the next tick, once the scanner, called
    // just below, has attached its own.
    file.on('data', (chunk) => {
      done += chunk.length;
      onProgress(done);
    });
  }
  return scan(file, size);
}

async function copy(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  path: string,
  options: CopyOptions,
  to: { chunk(chunk: Uint8Array): Promise<void>; end(): void } | undefined,
): Promise<Digest> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (e) {
    throw ioError(options.target ?? path, 'write', e);
  }
  const hash = createHash('sha256');
  let size = 0;
  // Passed on in batches of about BATCH bytes: the file gets few large writes, a scanner inputs as large as a
  // file read's.
  let batch: Uint8Array[] = [];
  let batched = 0;
  const flush = async () => {
    const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    hash.update(chunk);
    const written = handle.write(chunk).catch((e: unknown) => {
      throw ioError(options.target ?? path, 'write', e);
    });
    // The file and the scanner take the chunk at the same time; neither is given the next one before both did.
    if (to === undefined) await written;
    else await Promise.all([written, to.chunk(chunk)]);
    options.onProgress?.(size);
  };
  try {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (options.expected !== undefined && size > options.expected.size) {
        throw digestMismatch(options.what, options.expected, {}, options.hint);
      }
      batch.push(chunk);
      batched += chunk.byteLength;
      if (batched >= BATCH) await flush();
    }
    if (batched > 0) await flush();
    // The scanner finishes the last bytes while they are flushed to disk.
    to?.end();
    await handle.sync().catch((e: unknown) => {
      throw ioError(options.target ?? path, 'write', e);
    });
  } finally {
    await handle.close();
  }
  const actual = { sha256: hash.digest('hex'), size };
  if (
    options.expected !== undefined &&
    (actual.sha256 !== options.expected.sha256 || actual.size !== options.expected.size)
  ) {
    throw digestMismatch(options.what, options.expected, actual, options.hint);
  }
  return actual;
}
