/**
 * Atomic file output (SPEC §2): every file the tool produces is written to a temporary file in the same folder,
 * flushed, then renamed into place, so no reader ever sees a partial file. Temporary files of an interrupted
 * run (SIGINT/SIGTERM) are removed before the process ends.
 */
import { createWriteStream, unlinkSync, write, writev } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AurionError, ioError } from '../errors.js';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644, before umask). */
  readonly mode?: number;
  /** false: refuse with ALREADY_EXISTS when the destination exists (no-clobber, race-free). Default true. */
  readonly overwrite?: boolean;
}

const owned = new Set<string>();
let handlersInstalled = false;

function installSignalCleanup(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const path of owned) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
      owned.clear();
      // The listener replaced the default action; end the way the signal would have ended us.
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Marks a temporary path as this process's own: it is removed if the process is interrupted by SIGINT, SIGTERM
 * or SIGHUP. The one cleanup registry of the tool (atomic writes and the directory registry's scratch files).
 */
export function own(path: string): void {
  installSignalCleanup();
  owned.add(path);
}

/** The path is no longer ours to remove (renamed into place, or removed). */
export function disown(path: string): void {
  owned.delete(path);
}

/** A fresh temporary path beside `path` (same folder, so rename is atomic). */
export function tempPathFor(path: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return join(dirname(path), `.${basename(path)}.aurion-tmp-${process.pid}-${rand}`);
}

/**
 * Writes a file atomically by streaming: `produce` writes into the given stream (and may end it); the file
 * appears under `path` only when `produce` resolved and the data is flushed to disk.
 */
export async function writeStreamAtomic(
  path: string,
  produce: (out: Writable) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = tempPathFor(path);
  own(tmp);
  try {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(tmp, 'wx', options.mode ?? 0o644);
    } catch (e) {
      throw ioError(path, 'write', e);
    }
    // The handle owns the descriptor. A destroyed fs stream closes its fd even with autoClose: false (as
    // pipeline() does when `produce` fails), and handle.close() would then fail with EBADF, hiding the real
    // error: so the stream's close is a no-op and the handle alone closes the descriptor.
    const out = createWriteStream('', {
      fd: handle.fd,
      autoClose: false,
      highWaterMark: 1 << 20,
      fs: { write, writev, close: (_fd: number, callback: (err: null) => void) => callback(null) },
    });
    try {
      await produce(out);
      if (!out.writableEnded) out.end();
      await finished(out);
      await handle.sync();
    } catch (e) {
      // Wait for a write in flight to end before the handle closes the descriptor.
      out.destroy();
      await finished(out).catch(() => {});
      throw e;
    } finally {
      await handle.close();
    }
    await commit(tmp, path, options.overwrite ?? true);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    if (e instanceof AurionError) throw e;
    throw ioError(path, 'write', e);
  } finally {
    disown(tmp);
  }
}

/** Writes bytes or text atomically. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeStreamAtomic(
    path,
    async (out) => {
      out.end(data);
    },
    options,
  );
}

async function commit(tmp: string, path: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(tmp, path);
    return;
  }
  // link() fails with EEXIST instead of replacing: a no-clobber rename without a check-then-act race.
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new AurionError('ALREADY_EXISTS', `${path} already exists; refusing to overwrite it`, {
        hint: 'choose another path or remove the file first',
      });
    }
    throw e;
  }
  await unlink(tmp);
}
