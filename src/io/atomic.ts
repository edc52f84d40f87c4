/**
 * File output (SPEC §2). Every file the tool produces goes through this module:
 *
 * - A regular file (or a name that does not exist yet) is written to a temporary file in the same folder,
 *   flushed, then renamed into place, so no reader ever sees a partial file.
 * - An output that is a symbolic link is followed (a chain of them, as open(2) would): the link stays, and its
 *   final target is replaced atomically, with the temporary file in the TARGET's folder. A dangling link
 *   creates its target.
 * - An existing output that is not a regular file (a character or block device, a FIFO) is opened for writing
 *   and written directly, never replaced or renamed over; a write error there (ENOSPC from /dev/full) is
 *   IO_ERROR. A directory is IO_ERROR.
 * - No-clobber writes (`overwrite: false`: keygen, init without --force) follow nothing: any existing name,
 *   including a dangling link, a device or a FIFO, is ALREADY_EXISTS (a directory: IO_ERROR).
 *
 * Temporary names are `.<stem>.aurion-tmp-<pid>-<host tag>-<random>`; the stem is the output's name, or for a
 * name too long to fit in 255 bytes with the suffix, its start and a hash of the whole name. Temporary files of
 * an interrupted run (SIGINT/SIGTERM/SIGHUP) are removed before the process ends; those of a killed one
 * (SIGKILL, power loss) by the next write of the same output, when their owner is a dead process of this host.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream, unlinkSync, write, writev } from 'node:fs';
import { link, lstat, open, readdir, readlink, realpath, rename, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { AurionError, ioError } from '../errors.js';
import { hostTag, ownerIsDead } from './owner.js';

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

/** The longest file name (bytes) the tool relies on: NAME_MAX of ext4, xfs, btrfs, tmpfs, APFS, NTFS. */
const NAME_MAX = 255;
const TEMP_MARK = '.aurion-tmp-';
/** `<pid, up to 10 digits>-<host tag, 8 hex>-<random, 12 hex>` */
const OWNER_MAX = 10 + 1 + 8 + 1 + 12;
const OWNER_RE = /^([1-9][0-9]{0,9})-([0-9a-f]{8})-[0-9a-f]{12}$/;
/** The longest stem that keeps `.<stem>.aurion-tmp-<owner>` within NAME_MAX. */
const STEM_MAX = NAME_MAX - 1 - TEMP_MARK.length - OWNER_MAX;

/** The part of a temporary name that stands for the output `name`; the same for every write of that name. */
function tempStem(name: string): string {
  if (Buffer.byteLength(name) <= STEM_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  // The start of the name (whole characters only) keeps the file recognisable; the hash keeps it unique.
  let head = '';
  let bytes = 0;
  for (const ch of name) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > STEM_MAX - 1 - hash.length) break;
    head += ch;
    bytes += size;
  }
  return `${head}~${hash}`;
}

/** The prefix of every temporary name for the output `name`. */
function tempPrefix(name: string): string {
  return `.${tempStem(name)}${TEMP_MARK}`;
}

/** A fresh temporary path beside `path` (same folder, so rename is atomic), naming this process and host. */
export function tempPathFor(path: string): string {
  const owner = `${process.pid}-${hostTag()}-${randomBytes(6).toString('hex')}`;
  return join(dirname(path), `${tempPrefix(basename(path))}${owner}`);
}

/**
 * Removes the temporary files of earlier writes of `path` whose owner is a dead process of this host (left by
 * SIGKILL or a crash). Live owners' files and other hosts' files are kept. Best effort: a file that cannot be
 * removed (another user's, in a sticky folder) stays.
 */
export async function removeDeadTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = tempPrefix(basename(path));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = OWNER_RE.exec(name.slice(prefix.length));
    if (m === null || !ownerIsDead({ pid: Number(m[1]), hostTag: m[2]! })) continue;
    await unlink(join(dir, name)).catch(() => {});
  }
}

/** Where an overwriting write goes: a regular file to replace (or create), or a special file to write into. */
type Target = { readonly kind: 'file' | 'special'; readonly path: string };

/** Symbolic links followed at most (Linux's limit for a path lookup). */
const MAX_LINKS = 40;

/** Follows `path` through symbolic links to what a write must change; a directory is IO_ERROR. */
async function outputTarget(path: string): Promise<Target> {
  const given = resolve(path);
  // Parents are resolved by the kernel (realpath), so `..` after a linked folder means what open(2) means.
  let current = join(await realParent(path, given), basename(given));
  for (let links = 0; ; ) {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'file', path: current };
      throw ioError(path, 'write', e);
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) {
        throw new AurionError('IO_ERROR', `cannot write ${path}: too many levels of symbolic links`);
      }
      const dest = await readlink(current);
      const next = isAbsolute(dest) ? dest : `${dirname(current)}/${dest}`;
      current = join(await realParent(path, next), basename(next));
      continue;
    }
    if (st.isFile()) return { kind: 'file', path: current };
    if (st.isDirectory()) {
      throw new AurionError(
        'IO_ERROR',
        `cannot write ${path}: ${current === given ? 'is' : 'leads to'} a directory`,
        {
          hint: 'give a file name for the output',
        },
      );
    }
    return { kind: 'special', path: current };
  }
}

async function realParent(path: string, child: string): Promise<string> {
  try {
    return await realpath(dirname(child));
  } catch (e) {
    throw ioError(path, 'write', e);
  }
}

/** Opens a special file (device, FIFO) for writing, without creating or truncating anything. */
async function openSpecial(path: string, target: string): Promise<Awaited<ReturnType<typeof open>>> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(target, constants.O_WRONLY | constants.O_NOCTTY);
  } catch (e) {
    throw ioError(path, 'write', e);
  }
  // Swapped for a regular file or folder since it was looked at: nothing was written; refuse rather than
  // write in place, which would leave a partial file on failure.
  const st = await handle.stat();
  if (st.isFile() || st.isDirectory()) {
    await handle.close();
    throw new AurionError('IO_ERROR', `cannot write ${path}: it changed while being opened`, {
      hint: 'run the command again',
    });
  }
  return handle;
}

/** A write stream on an open handle; the handle alone closes the descriptor. */
function streamOn(handle: Awaited<ReturnType<typeof open>>): Writable {
  // A destroyed fs stream closes its fd even with autoClose: false (as pipeline() does when `produce` fails),
  // and handle.close() would then fail with EBADF, hiding the real error: so the stream's close is a no-op.
  return createWriteStream('', {
    fd: handle.fd,
    autoClose: false,
    highWaterMark: 1 << 20,
    fs: { write, writev, close: (_fd: number, callback: (err: null) => void) => callback(null) },
  });
}

/** Runs `produce` into `handle`; with `sync`, flushes the data to disk. The caller closes the handle. */
async function produceInto(
  handle: Awaited<ReturnType<typeof open>>,
  produce: (out: Writable) => Promise<void>,
  sync: boolean,
): Promise<void> {
  const out = streamOn(handle);
  try {
    await produce(out);
    if (!out.writableEnded) out.end();
    await finished(out);
    if (sync) await handle.sync();
  } catch (e) {
    // Wait for a write in flight to end before the handle closes the descriptor.
    out.destroy();
    await finished(out).catch(() => {});
    throw e;
  }
}

/**
 * Writes a file by streaming: `produce` writes into the given stream (and may end it). A regular output
 * appears under `path` only when `produce` resolved and the data is flushed to disk; a special one (device,
 * FIFO) receives the bytes as they come.
 */
export async function writeStreamAtomic(
  path: string,
  produce: (out: Writable) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const overwrite = options.overwrite ?? true;
  const target: Target = overwrite ? await outputTarget(path) : { kind: 'file', path: resolve(path) };
  if (target.kind === 'special') {
    const handle = await openSpecial(path, target.path);
    try {
      await produceInto(handle, produce, false);
    } catch (e) {
      if (e instanceof AurionError) throw e;
      throw ioError(path, 'write', e);
    } finally {
      await handle.close().catch(() => {});
    }
    return;
  }
  await stageAndCommit(path, target.path, overwrite, async (tmp) => {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(tmp, 'wx', options.mode ?? 0o644);
    } catch (e) {
      throw ioError(path, 'write', e);
    }
    try {
      await produceInto(handle, produce, true);
    } catch (e) {
      if (e instanceof AurionError) throw e;
      throw ioError(path, 'write', e);
    } finally {
      await handle.close();
    }
  });
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

/**
 * Writes `path` (overwriting, under the rules above) from a file that `fill` creates at the path it is given
 * (exclusively, e.g. open 'wx') and may check before anything is written: pull downloads and verifies there. A
 * regular output is that file renamed into place; a special one receives a copy of it once `fill` resolved.
 * Returns what `fill` returned.
 */
export async function writeStaged<T>(path: string, fill: (tmp: string) => Promise<T>): Promise<T> {
  const target = await outputTarget(path);
  if (target.kind === 'file') return await stageAndCommit(path, target.path, true, fill);
  // A device or FIFO cannot hold a temporary file beside it: stage in the system's temporary folder.
  const tmp = tempPathFor(join(tmpdir(), 'aurion-staged'));
  own(tmp);
  try {
    const result = await fill(tmp);
    const handle = await openSpecial(path, target.path);
    try {
      await pipeline(createReadStream(tmp), streamOn(handle));
    } catch (e) {
      throw ioError(path, 'write', e);
    } finally {
      await handle.close().catch(() => {});
    }
    return result;
  } finally {
    await unlink(tmp).catch(() => {});
    disown(tmp);
  }
}

/** Fills a temporary file beside `dest` and moves it into place (errors of `fill` pass unchanged); on any
 * failure, removes it. */
async function stageAndCommit<T>(
  path: string,
  dest: string,
  overwrite: boolean,
  fill: (tmp: string) => Promise<T>,
): Promise<T> {
  await removeDeadTemps(dest);
  const tmp = tempPathFor(dest);
  own(tmp);
  try {
    const result = await fill(tmp);
    try {
      await commit(tmp, path, dest, overwrite);
    } catch (e) {
      if (e instanceof AurionError) throw e;
      throw ioError(path, 'write', e);
    }
    return result;
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  } finally {
    disown(tmp);
  }
}

async function commit(tmp: string, path: string, dest: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(tmp, dest);
    return;
  }
  // link() fails with EEXIST instead of replacing, and never follows a link at `dest` (even a dangling one): a
  // no-clobber rename without a check-then-act race.
  try {
    await link(tmp, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      const st = await lstat(dest).catch(() => undefined);
      if (st?.isDirectory() === true) {
        throw new AurionError('IO_ERROR', `cannot write ${path}: is a directory`, {
          hint: 'give a file name for the output',
        });
      }
      throw new AurionError('ALREADY_EXISTS', `${path} already exists; refusing to overwrite it`, {
        hint: 'choose another path or remove the file first',
      });
    }
    throw e;
  }
  await unlink(tmp);
}
