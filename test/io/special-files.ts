/**
 * Special files for the input-file tests (SPEC §2), made inside the test's own temporary folder: mknod only
 * there, never the machine's /dev nodes (the tests run as root, as CI containers do).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';

/**
 * Special files in a fresh temporary folder: a zero device (c 1 5, endless bytes), a null device (c 1 3, none),
 * a FIFO, a folder, links to each of the first three, and a dangling link.
 */
export async function specialFiles(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'aurion-special-');
  const zero = join(dir, 'zero');
  execFileSync('mknod', [zero, 'c', '1', '5']);
  const nul = join(dir, 'null');
  execFileSync('mknod', [nul, 'c', '1', '3']);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const folder = join(dir, 'folder');
  await mkdir(folder);
  const links = {
    zero: join(dir, 'zero.link'),
    fifo: join(dir, 'fifo.link'),
    folder: join(dir, 'folder.link'),
  };
  await symlink(zero, links.zero);
  await symlink(fifo, links.fifo);
  await symlink(folder, links.folder);
  const danglingLink = join(dir, 'dangling.link');
  await symlink(join(dir, 'no-such-file'), danglingLink);
  return { dir, zero, nul, fifo, folder, links, danglingLink };
}
