/**
 * An exclusive lock file, safe between processes on one host and tolerant of crashes: the directory registry's
 * index lock (src/registry/directory.ts), and the lock beside an authorization that is co-signed in place
 * (src/ops/authz.ts).
 *
 * - Taking the lock: the owner record (pid, hostname, time, random token) is written to a temporary file, then
 *   hard-linked to the lock path. link(2) fails with EEXIST exactly like open(O_CREAT|O_EXCL), and the lock file
 *   appears with its content complete, so nobody ever reads a half-written owner record.
 * - A lock whose owner is a dead pid on this host is stale and is broken. Two processes may find the same stale
 *   lock; deleting it after a check would race (one could delete the fresh lock the other just took). So the
 *   right to delete a stale lock with token T is itself an exclusive file, `<lock>.break-T`: only its holder
 *   deletes, and only while the lock still holds token T. Tokens are never reused, so once that lock is gone no
 *   one can mistake a newer lock for it. A breaker that dies leaves a stale break file, which is broken the same
 *   way (recursively, a few levels at most).
 * - Locks of other hosts (a shared file system) are never judged stale: a pid means nothing elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { link, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AurionError, ioError } from '../errors.js';
import { disown, own, removeDeadTemps, tempPathFor } from './atomic.js';
import { INPUT_LIMITS, isMissing, readSmallFileIfExists } from './files.js';
import { isProcessAlive } from './owner.js';

export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly created_at: string;
  readonly token: string;
}

export interface LockOptions {
  /** How long to wait for a live owner before giving up (default 60 s). */
  readonly timeoutMs?: number;
  /**
   * Where an owner record is written before it is linked into place, beside the lock (default: a temporary
   * name of src/io/atomic.ts, whose leftovers of dead processes are removed once the lock is taken). The
   * directory registry passes its own scratch names, which its clean-up knows.
   */
  readonly tempPath?: (lockPath: string) => string;
  /** The error when a live owner still held the lock at the deadline (default: IO_ERROR naming the owner). */
  readonly lockedError?: (lockPath: string, owner: LockOwner | 'unreadable') => AurionError;
}

export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock, if it is still ours. */
  release(): Promise<void>;
}

const MAX_BREAK_DEPTH = 4;

/** Takes the lock at `path`, waiting (with backoff) while a live process holds it. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const tempPath = options.tempPath ?? tempPathFor;
  let delay = 5;
  for (;;) {
    const held = await tryCreate(path, tempPath);
    if (held !== undefined) {
      if (options.tempPath === undefined) await removeDeadTemps(path);
      return held;
    }
    const current = await readOwner(path);
    if (current === 'gone') continue;
    if (current !== 'unreadable' && isStale(current)) {
      await breakStale(path, current, 0, tempPath);
      continue;
    }
    if (Date.now() >= deadline) throw (options.lockedError ?? lockedError)(path, current);
    await sleep(delay + Math.floor(Math.random() * delay));
    delay = Math.min(delay * 2, 250);
  }
}

/** Reads a lock file: its owner, 'gone' when there is none, 'unreadable' when it was not made by this code. */
export async function readOwner(path: string): Promise<LockOwner | 'gone' | 'unreadable'> {
  // A regular file of at most 4 KiB (SPEC §2): a lock or break file replaced by a FIFO, a device or a link to
  // one is IO_ERROR at once, never a hang.
  let bytes: Buffer | undefined;
  try {
    bytes = await readSmallFileIfExists(path, 'lock file', INPUT_LIMITS.lockFile);
  } catch (e) {
    if (isMissing(e)) return 'gone'; // it came and went while it was read
    throw e;
  }
  if (bytes === undefined) return 'gone';
  const text = bytes.toString('utf8');
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof v.pid === 'number' &&
      Number.isSafeInteger(v.pid) &&
      v.pid > 0 &&
      typeof v.hostname === 'string' &&
      typeof v.created_at === 'string' &&
      typeof v.token === 'string' &&
      /^[0-9a-f]{32}$/.test(v.token)
    ) {
      return { pid: v.pid, hostname: v.hostname, created_at: v.created_at, token: v.token };
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** A lock is stale when its owner is a process of this host that no longer exists. */
export function isStale(owner: LockOwner): boolean {
  return owner.hostname === hostname() && !isProcessAlive(owner.pid);
}

/** Creates the lock file atomically with our owner record; undefined when it already exists. */
async function tryCreate(
  path: string,
  tempPath: (lockPath: string) => string,
): Promise<HeldLock | undefined> {
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    created_at: new Date().toISOString(),
    token: randomBytes(16).toString('hex'),
  };
  const tmp = tempPath(path);
  own(tmp);
  try {
    try {
      await writeFile(tmp, `${JSON.stringify(owner)}\n`, { flag: 'wx', mode: 0o644 });
    } catch (e) {
      throw ioError(dirname(path), 'write a lock file in', e);
    }
    // Owned before it exists, so that a signal arriving right after link() still removes it.
    own(path);
    try {
      await link(tmp, path);
    } catch (e) {
      disown(path);
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw ioError(path, 'create lock file', e);
    }
    return {
      path,
      owner,
      release: () => release(path, owner.token),
    };
  } finally {
    await unlink(tmp).catch(() => {});
    disown(tmp);
  }
}

async function release(path: string, token: string): Promise<void> {
  const current = await readOwner(path);
  if (current !== 'gone' && current !== 'unreadable' && current.token === token) {
    await unlink(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw ioError(path, 'remove lock file', e);
    });
  }
  disown(path);
}

/** Deletes the stale lock `path` of `stale`, unless someone else is doing so (see the module comment). */
async function breakStale(
  path: string,
  stale: LockOwner,
  depth: number,
  tempPath: (lockPath: string) => string,
): Promise<void> {
  const breakPath = `${path}.break-${stale.token}`;
  const held = await tryCreate(breakPath, tempPath);
  if (held === undefined) {
    // Someone is breaking it now, or died doing so; in that case break their break file first.
    const breaker = await readOwner(breakPath);
    if (breaker !== 'gone' && breaker !== 'unreadable' && isStale(breaker) && depth < MAX_BREAK_DEPTH) {
      await breakStale(breakPath, breaker, depth + 1, tempPath);
    } else {
      await sleep(5);
    }
    return;
  }
  try {
    const current = await readOwner(path);
    if (current !== 'gone' && current !== 'unreadable' && current.token === stale.token) {
      await unlink(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw ioError(path, 'remove stale lock file', e);
      });
    }
  } finally {
    await held.release();
  }
}

/** The name pattern of break files beside a lock, for clean-up: `<lock>.break-<token>`. */
export function isBreakFileOf(lockPath: string, name: string): boolean {
  const prefix = `${basename(lockPath)}.break-`;
  return name.startsWith(prefix) && /^[0-9a-f]{32}(?:\.break-[0-9a-f]{32})*$/.test(name.slice(prefix.length));
}

/** Who holds a lock, for messages: `pid 123 on host build-7 since 2026-12-03T07:00:00.000Z`. */
export function describeOwner(owner: LockOwner | 'unreadable'): string {
  return owner === 'unreadable'
    ? 'an unknown process (the lock file does not hold an owner record)'
    : `pid ${owner.pid} on host ${owner.hostname} since ${owner.created_at}`;
}

/** What to do about a lock still held at the deadline: wait, or remove it when its owner is known to be gone. */
export function lockedHint(path: string, owner: LockOwner | 'unreadable', work: string): string {
  return owner !== 'unreadable' && owner.hostname !== hostname()
    ? `retry when that ${work} is done; if host ${owner.hostname} no longer runs it, remove ${path}`
    : `retry when that ${work} is done; if no such process is running any more, remove ${path}`;
}

function lockedError(path: string, owner: LockOwner | 'unreadable'): AurionError {
  return new AurionError('IO_ERROR', `${path} is locked by ${describeOwner(owner)}`, {
    hint: lockedHint(path, owner, 'work'),
  });
}
