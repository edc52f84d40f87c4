/**
 * verifyBundle / verifyBundles: bundles by path through the one reader (src/io/bundle-file.ts), then every
 * check of SPEC §3-§6 (src/core/verify.ts). Problems of a bundle are reported inside its result.
 */
import type { Readable } from 'node:stream';
import type { BundleContents } from '../core/bundle/entries.js';
import { parseBundleStream } from '../core/bundle/reader.js';
import type { TrustPolicy } from '../core/policy.js';
import { errorOf, type VerifyOptions, type VerifyResult, verifyContents } from '../core/verify.js';
import { ioError } from '../errors.js';
import { readBundle } from '../io/bundle-file.js';

/**
 * Reads and verifies one bundle. Problems of the bundle (unreadable, malformed, tampered, untrusted) are
 * reported inside the result, never thrown; only bugs escape.
 */
export async function verifyBundle(
  path: string,
  trust: TrustPolicy,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  return verifyRead(path, readBundle(path, options), trust, options);
}

/**
 * verifyBundle over the bytes of a bundle as they arrive (pull verifies while it downloads): `bytes` must add
 * up to `size`, `path` names the bundle in the result and its messages.
 */
export function verifyBundleStream(
  path: string,
  bytes: Readable,
  size: number,
  trust: TrustPolicy,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const read = parseBundleStream(path, bytes, size, options, (e) => ioError(path, 'read bundle', e));
  return verifyRead(path, read, trust, options);
}

/** The checks after the one reader, whatever it read from; a bundle that could not be read is a failed result. */
async function verifyRead(
  path: string,
  read: Promise<BundleContents>,
  trust: TrustPolicy,
  options: VerifyOptions,
): Promise<VerifyResult> {
  let bundle: BundleContents;
  try {
    bundle = await read;
  } catch (e) {
    return { bundle: path, ok: false, plugin: null, signer: null, signatures: [], errors: [errorOf(e)] };
  }
  return verifyContents(bundle, trust, options); // bundle.path is `path`
}

/**
 * Verifies several bundles with limited concurrency (reading overlaps with hashing and verifying, without
 * opening hundreds of files at once). Results come back in the order of `paths`.
 */
export async function verifyBundles(
  paths: readonly string[],
  trust: TrustPolicy,
  options: Omit<VerifyOptions, 'onProgress'> & {
    readonly concurrency?: number;
    /** Progress of the bundle at `index` of `paths`. */
    readonly onProgress?: (index: number, bytesRead: number, totalBytes: number) => void;
  } = {},
): Promise<VerifyResult[]> {
  const results: VerifyResult[] = new Array(paths.length);
  const { onProgress, concurrency, ...rest } = options;
  // One instant for the whole call: every bundle is judged against the same expiry moment.
  const now = options.now ?? new Date();
  let next = 0;
  const shared: VerifyOptions = { ...rest, now };
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      results[i] = await verifyBundle(
        paths[i]!,
        trust,
        onProgress === undefined
          ? shared
          : { ...shared, onProgress: (read: number, total: number) => onProgress(i, read, total) },
      );
    }
  };
  const workers = Math.max(1, Math.min(concurrency ?? 8, paths.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
