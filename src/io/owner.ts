/**
 * Owners of scratch files (temporary outputs, registry temporaries and locks). Their names carry the owner's pid
 * and a tag of its host, so that a later run can tell the leftovers of a dead process (SIGKILL, power loss) from
 * files another live process is still writing, and files of another host sharing the folder from both.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';

/** 8 hex digits naming this host in file names (host names may hold characters unfit for file names). */
export function hostTag(host: string = hostname()): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 8);
}

/**
 * True when a process with this pid exists on this host. EPERM means it exists but belongs to another user.
 * A recycled pid reads as alive: the safe side (its files are kept, a lock is waited for, not broken).
 */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** True when a scratch file's owner is known to be gone: on this host, and its pid no longer exists. */
export function ownerIsDead(owner: { pid: number; hostTag: string }): boolean {
  return owner.hostTag === hostTag() && !isProcessAlive(owner.pid);
}
