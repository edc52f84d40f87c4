/**
 * Where a client keeps a registry's trusted TUF metadata, and whether it has any: asked before every read of a
 * directory registry, so kept apart from tuf-client.ts, which loads tuf-js (about 50 ms of start-up that a
 * pull of an unsigned registry must not pay).
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

/** The folder of one registry's trusted metadata inside the cache. */
export function cacheFolder(cacheDir: string, cacheKey: string): string {
  return join(cacheDir, createHash('sha256').update(cacheKey).digest('hex').slice(0, 32));
}

/**
 * False only when no root can be trusted for the registry: no `--tuf-root` and nothing at all where the cache
 * keeps one. Anything there (even what cannot be read) is for tuf-client.ts to judge, so this never decides to
 * read a registry unsigned that the full check would refuse.
 */
export async function mayReadSigned(
  trust: { readonly rootFile?: string; readonly cacheDir: string },
  cacheKey: string,
): Promise<boolean> {
  if (trust.rootFile !== undefined) return true;
  try {
    await lstat(join(cacheFolder(trust.cacheDir, cacheKey), 'root.json'));
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
