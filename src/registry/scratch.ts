/**
 * Scratch files of the directory registry: temporary files and lock files that a process owns for a short
 * while. Their names carry the owner's pid and a tag of its host, so that a later run can tell the leftovers of
 * a dead process (SIGKILL, power loss) from files another live process is still writing, and remove them.
 * SIGINT/SIGTERM/SIGHUP remove what this process owns before it ends.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { hostTag } from '../io/owner.js';

// Scratch files are removed on SIGINT/SIGTERM/SIGHUP by the tool's one cleanup registry.
export { disown, own } from '../io/atomic.js';
// One notion of a scratch file's owner for the whole tool.
export { hostTag, isProcessAlive, ownerIsDead } from '../io/owner.js';

/** Prefix of every temporary file the registry writes (hidden, so listings stay clean). */
export const TEMP_PREFIX = '.aurion-tmp.';

/** A fresh temporary file name in `dir`: `.aurion-tmp.<pid>.<host tag>.<random>`. */
export function tempName(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${process.pid}.${hostTag()}.${randomBytes(6).toString('hex')}`);
}

/** The owner of a temporary file, from its name; undefined for names this module did not make. */
export function tempOwner(name: string): { pid: number; hostTag: string } | undefined {
  const m = /^\.aurion-tmp\.([1-9][0-9]{0,9})\.([0-9a-f]{8})\.[0-9a-f]{12}$/.exec(name);
  return m === null ? undefined : { pid: Number(m[1]), hostTag: m[2]! };
}

/**
 * Flushes a directory's entries (renames, new and removed files) to disk. File systems that cannot open or
 * fsync a directory are accepted: the rename is still atomic there, only its durability is the OS's choice.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on some platforms and file systems: nothing more can be done
  } finally {
    await handle?.close().catch(() => {});
  }
}
