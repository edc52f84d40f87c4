/**
 * Streaming copies with their digest checked on the way: registries hand out bytes that must match a recorded
 * SHA-256 and size, and a bundle may be large, so nothing is ever held whole in memory.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { AurionError, ioError } from '../errors.js';

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
 * Writes `source` to a new file `path` (created exclusively, flushed to disk before returning) while hashing
 * it. With `expected`, a mismatch throws DIGEST_MISMATCH; the caller removes the file.
 */
export async function copyToNewFile(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  path: string,
  options: CopyOptions,
): Promise<Digest> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (e) {
    throw ioError(options.target ?? path, 'write', e);
  }
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (options.expected !== undefined && size > options.expected.size) {
        throw digestMismatch(options.what, options.expected, {}, options.hint);
      }
      hash.update(chunk);
      try {
        await handle.write(chunk);
      } catch (e) {
        throw ioError(options.target ?? path, 'write', e);
      }
      options.onProgress?.(size);
    }
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
