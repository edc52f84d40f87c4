/**
 * Reading user-named input files (SPEC §2): keys, keyrings, trust policies, passphrase and config files,
 * registry indexes and metadata. Every reader goes through `readSmallFile` (or `openRegularFile` for the few
 * that stream), so the rules hold everywhere:
 * - only a regular file is read, after following symbolic links: a directory, FIFO, device or socket is
 *   IO_ERROR at once. The path is stat()ed first, so a device is never even opened; it is then opened with
 *   O_NONBLOCK (a FIFO swapped in meanwhile cannot block the open) and the opened descriptor is fstat()ed again.
 * - at most `limit + 1` bytes are ever read, whatever size the file claims, so neither a file that grows nor a
 *   lying size can exhaust memory; more than `limit` is IO_ERROR saying which limit.
 * - a missing or unreadable file is IO_ERROR (4) with the path.
 */
// node:fs with promisify rather than node:fs/promises, which loads a dozen more internal modules (readline,
// watchers, directory streams) at start-up: this module is on every command's path (docs/performance.md).
import {
  close as closeCallback,
  constants,
  fstat as fstatCallback,
  lstat as lstatCallback,
  open as openCallback,
  read as readCallback,
  type Stats,
  stat as statCallback,
} from 'node:fs';
import { promisify } from 'node:util';
import { AurionError, ioError } from '../errors.js';

const open = promisify(openCallback);
const close = promisify(closeCallback);
const fstat = promisify(fstatCallback);
const lstat = promisify(lstatCallback);
const stat = promisify(statCallback);
const read = promisify(readCallback);

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The most bytes read from each kind of input file (docs/architecture.md "Input files" lists them). Generous
 * for any real file of the kind, small enough that a wrong path costs little memory.
 */
export const INPUT_LIMITS = {
  /** Ed25519 PEM keys (--key, --trusted-key, a policy's public_key_file) and OpenPGP keys and keyrings. */
  key: 1 * MiB,
  /** --trust-policy and a directory registry's trust-policy.json (inline OpenPGP keys included). */
  trustPolicy: 1 * MiB,
  /** --passphrase-file. */
  passphrase: 64 * KiB,
  /** cache-key --config-file (a job configuration). */
  jobConfig: 16 * MiB,
  /** A plugin's source manifest.json (build). */
  manifest: 1 * MiB,
  /** ~/.docker/config.json (or $DOCKER_CONFIG/config.json). */
  dockerConfig: 1 * MiB,
  /** A directory registry's index.json (many thousands of versions stay far below). */
  registryIndex: 64 * MiB,
  /** A TUF metadata file of a signed registry (targets.json lists every version: as large as index.json). */
  tufMetadata: 64 * MiB,
  /** A signed registry's recorded expiry periods (metadata/aurion-expiry.json). */
  tufExpiry: 64 * KiB,
  /** A directory registry's lock file (one owner record). */
  lockFile: 4 * KiB,
  /** An existing .gitignore that init extends. */
  gitignore: 1 * MiB,
} as const;

/** Bytes as people read them: 1 MiB, 64 KiB, 100 bytes. */
export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} bytes`;
}

/** What a file that is not a regular file is, for messages. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

function notRegular(path: string, what: string, st: Stats): AurionError {
  return new AurionError('IO_ERROR', `cannot read ${what} ${path}: is ${kindOf(st)}, not a regular file`, {
    hint: `give the path of a regular file (${what}); devices, FIFOs and directories are never read`,
  });
}

/**
 * Opens `path` for reading when it is a regular file after following links: the descriptor and the size the
 * opened file had. IO_ERROR otherwise (missing, unreadable, directory, FIFO, device, socket). The caller owns
 * the descriptor (e.g. hands it to createReadStream, which closes it).
 */
export async function openRegularFile(path: string, what: string): Promise<{ fd: number; size: number }> {
  let fd: number;
  try {
    const before = await stat(path);
    if (!before.isFile()) throw notRegular(path, what, before);
    fd = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (e instanceof AurionError) throw e;
    throw await openError(path, what, e);
  }
  try {
    const st = await fstat(fd);
    if (!st.isFile()) throw notRegular(path, what, st);
    return { fd, size: st.size };
  } catch (e) {
    await close(fd).catch(() => {});
    if (e instanceof AurionError) throw e;
    throw ioError(path, `read ${what}`, e);
  }
}

/**
 * Reads a whole input file of at most `limit` bytes (see INPUT_LIMITS). Reads at most `limit + 1` bytes
 * whatever the file's size claims; more is IO_ERROR.
 */
export async function readSmallFile(path: string, what: string, limit: number): Promise<Buffer> {
  const { fd, size } = await openRegularFile(path, what);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // A large file is read whole at once as fstat saw it, one byte more to see its end, and returned without
      // a copy: a large index.json (docs/performance.md, P9). The size only sizes that buffer; the bytes read
      // decide, so a file that grows meanwhile is read on in 64 KiB steps up to the limit.
      const want = Math.min(total === 0 && size > 64 * KiB ? size + 1 : 64 * KiB, limit + 1 - total);
      const chunk = Buffer.allocUnsafe(want);
      let n: number;
      try {
        ({ bytesRead: n } = await read(fd, chunk, 0, want, null));
      } catch (e) {
        throw ioError(path, `read ${what}`, e);
      }
      if (n === 0) break;
      chunks.push(n === want ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > limit) {
        throw new AurionError(
          'IO_ERROR',
          `cannot read ${what} ${path}: it holds more than ${formatBytes(limit)}, the limit for this kind of file`,
          { hint: `check the path: a real ${what} is far smaller` },
        );
      }
    }
    // One chunk of a large file is the file (at most one byte spare); small files get a buffer of their size.
    return chunks.length === 1 && size > 64 * KiB ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await close(fd).catch(() => {});
  }
}

/**
 * readSmallFile for optional files (a registry's index.json and trust-policy.json, the Docker config, a lock
 * file): undefined only when nothing at all is at `path`. A dangling symbolic link is not "nothing": it is
 * IO_ERROR, so that a file someone meant to be there is never taken as absent.
 */
export async function readSmallFileIfExists(
  path: string,
  what: string,
  limit: number,
): Promise<Buffer | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await readSmallFile(path, what, limit);
    } catch (e) {
      if (!isMissing(e)) throw e; // a dangling link included
      let entry: Stats;
      try {
        entry = await lstat(path);
      } catch (le) {
        if ((le as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw ioError(path, `read ${what}`, le);
      }
      // Something is there now: a dangling link made since, or a file created since (then read it again; a
      // lock file comes and goes, so this can happen, but not forever).
      if (entry.isSymbolicLink() && (await targetIsMissing(path))) throw dangling(path, what);
      if (attempt >= 3) throw e;
    }
  }
}

/** True when `e` is IO_ERROR because the path (or its link's target) does not exist. */
export function isMissing(e: unknown): boolean {
  return (
    e instanceof AurionError &&
    e.code === 'IO_ERROR' &&
    (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
  );
}

async function targetIsMissing(path: string): Promise<boolean> {
  try {
    await stat(path);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** A dangling link. Deliberately without the ENOENT cause: isMissing() is false for it. */
function dangling(path: string, what: string): AurionError {
  return new AurionError(
    'IO_ERROR',
    `cannot read ${what} ${path}: it is a symbolic link to a file that does not exist`,
    { hint: `restore the file the link points to, or remove the link if there is to be no ${what}` },
  );
}

/** The open error of a file, telling a dangling link apart from a missing file. */
async function openError(path: string, what: string, e: unknown): Promise<AurionError> {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
    try {
      if ((await lstat(path)).isSymbolicLink() && (await targetIsMissing(path))) return dangling(path, what);
    } catch {
      // nothing there at all: the plain message below
    }
  }
  return ioError(path, `read ${what}`, e);
}

/** True when `path` exists (any kind of file). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads standard input to its end, refusing more than `maxBytes` (IO_ERROR) rather than holding it all. */
export async function readStdin(what: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      process.stdin.destroy();
      throw new AurionError('IO_ERROR', `cannot read ${what} from stdin: more than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
