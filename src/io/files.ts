/** Reading user-named files: a missing or unreadable file is IO_ERROR (4) with the path (SPEC §2). */
// node:fs with promisify rather than node:fs/promises, which loads a dozen more internal modules (readline,
// watchers, directory streams) at start-up: this module is on every command's path (docs/performance.md).
import { readFile as readFileCallback, stat as statCallback } from 'node:fs';
import { promisify } from 'node:util';
import { AurionError, ioError } from '../errors.js';

const readFile = promisify(readFileCallback);
const stat = promisify(statCallback);

/** Reads a whole (small) file; refuses files over `maxBytes` so a wrong path cannot exhaust memory. */
export async function readSmallFile(
  path: string,
  what: string,
  maxBytes = 16 * 1024 * 1024,
): Promise<Buffer> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (e) {
    throw ioError(path, `read ${what}`, e);
  }
  if (size > maxBytes) {
    throw new AurionError('IO_ERROR', `cannot read ${what} ${path}: ${size} bytes is more than ${maxBytes}`);
  }
  try {
    return await readFile(path);
  } catch (e) {
    throw ioError(path, `read ${what}`, e);
  }
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
