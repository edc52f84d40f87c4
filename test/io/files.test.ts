/**
 * readSmallFile / readSmallFileIfExists / openRegularFile (SPEC §2): regular files only, after following links;
 * at most limit + 1 bytes read. Devices are made with mknod inside the test's own temporary folder, never the
 * machine's /dev nodes.
 */
import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  formatBytes,
  INPUT_LIMITS,
  isMissing,
  openRegularFile,
  readSmallFile,
  readSmallFileIfExists,
} from '../../src/io/files.js';
import { expectAurionError, tempDir } from '../helpers.js';
import { specialFiles } from './special-files.js';

const QUICK = { timeout: 15_000 };

describe('readSmallFile: input files (SPEC §2)', () => {
  it('reads a regular file, also through a symbolic link', QUICK, async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'key.pub');
    await writeFile(file, 'hello');
    await symlink(file, join(dir, 'key.link'));
    assert.equal((await readSmallFile(file, 'key', 5)).toString(), 'hello');
    assert.equal((await readSmallFile(join(dir, 'key.link'), 'key', 5)).toString(), 'hello');
  });

  it('refuses a device, a FIFO and a folder (and links to them) with IO_ERROR at once', QUICK, async (t) => {
    const s = await specialFiles(t);
    const cases: Array<[string, RegExp]> = [
      [s.zero, /is a character device, not a regular file/],
      [s.links.zero, /is a character device, not a regular file/],
      [s.fifo, /is a FIFO \(named pipe\), not a regular file/],
      [s.links.fifo, /is a FIFO \(named pipe\), not a regular file/],
      [s.folder, /is a directory, not a regular file/],
      [s.links.folder, /is a directory, not a regular file/],
    ];
    for (const [path, message] of cases) {
      const e = await expectAurionError(
        () => readSmallFile(path, 'trusted key', INPUT_LIMITS.key),
        'IO_ERROR',
      );
      assert.match(e.message, message);
      assert.ok(e.message.includes(path), e.message);
      await expectAurionError(() => readSmallFileIfExists(path, 'registry index', 1024), 'IO_ERROR');
      await expectAurionError(() => openRegularFile(path, 'bundle'), 'IO_ERROR');
    }
  });

  it('reads a file over 64 KiB whole and intact, up to its limit exactly', QUICK, async (t) => {
    // Such a file is read in one piece sized by fstat (a large registry index.json); the limit still holds.
    const dir = await tempDir(t);
    const bytes = Buffer.alloc(300 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
    const path = join(dir, 'index.json');
    await writeFile(path, bytes);
    assert.deepEqual(await readSmallFile(path, 'registry index', INPUT_LIMITS.registryIndex), bytes);
    assert.deepEqual(await readSmallFile(path, 'registry index', bytes.length), bytes);
    const e = await expectAurionError(
      () => readSmallFile(path, 'registry index', bytes.length - 1),
      'IO_ERROR',
    );
    assert.match(e.message, /holds more than/);
  });

  it('reads at most limit + 1 bytes: a larger file is IO_ERROR naming the limit', QUICK, async (t) => {
    const dir = await tempDir(t);
    const exact = join(dir, 'exact');
    await writeFile(exact, Buffer.alloc(4096, 1));
    assert.equal((await readSmallFile(exact, 'lock file', 4096)).length, 4096);
    const over = join(dir, 'over');
    await writeFile(over, Buffer.alloc(4097, 1));
    const e = await expectAurionError(() => readSmallFile(over, 'lock file', 4096), 'IO_ERROR');
    assert.match(e.message, /holds more than 4 KiB, the limit for this kind of file/);
    // A sparse file of 8 GiB: refused after reading 1 MiB + 1 byte, not 8 GiB.
    const huge = join(dir, 'huge');
    await writeFile(huge, '');
    await truncate(huge, 8 * 1024 ** 3);
    const used = process.memoryUsage().arrayBuffers;
    await expectAurionError(() => readSmallFile(huge, 'trusted key', INPUT_LIMITS.key), 'IO_ERROR');
    assert.ok(process.memoryUsage().arrayBuffers - used < 64 * 1024 * 1024);
  });

  it(
    'a missing file: IO_ERROR from readSmallFile, undefined from readSmallFileIfExists',
    QUICK,
    async (t) => {
      const dir = await tempDir(t);
      const missing = join(dir, 'none.json');
      const e = await expectAurionError(() => readSmallFile(missing, 'trust policy', 1024), 'IO_ERROR');
      assert.ok(isMissing(e));
      assert.match(e.message, /no such file or directory/);
      assert.equal(await readSmallFileIfExists(missing, 'trust policy', 1024), undefined);
      // A missing registry folder: nothing there either.
      assert.equal(
        await readSmallFileIfExists(join(dir, 'registry', 'index.json'), 'index', 1024),
        undefined,
      );
    },
  );

  it('a dangling symbolic link is IO_ERROR, never "absent"', QUICK, async (t) => {
    const s = await specialFiles(t);
    for (const read of [readSmallFile, readSmallFileIfExists]) {
      const e = await expectAurionError(() => read(s.danglingLink, 'trust policy', 1024), 'IO_ERROR');
      assert.match(e.message, /is a symbolic link to a file that does not exist/);
      assert.equal(isMissing(e), false);
    }
  });

  it('openRegularFile hands out the descriptor and size of a regular file', QUICK, async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'bundle.aurion');
    await writeFile(file, Buffer.alloc(123));
    const { fd, size } = await openRegularFile(file, 'bundle');
    closeSync(fd);
    assert.equal(size, 123);
  });

  it('formats limits for messages', () => {
    assert.equal(formatBytes(INPUT_LIMITS.registryIndex), '64 MiB');
    assert.equal(formatBytes(INPUT_LIMITS.passphrase), '64 KiB');
    assert.equal(formatBytes(1000), '1000 bytes');
  });
});

describe('every reader of input files goes through it', () => {
  it(
    'the Docker config, a lock file and a registry index that are FIFOs or devices: IO_ERROR',
    QUICK,
    async (t) => {
      const s = await specialFiles(t);
      const { lookupCredentials } = await import('../../src/registry/auth.js');
      const { readOwner } = await import('../../src/io/lock.js');
      const { DirectoryRegistry } = await import('../../src/registry/directory.js');
      for (const special of [s.fifo, s.zero]) {
        const docker = await tempDir(t);
        await symlink(special, join(docker, 'config.json'));
        await expectAurionError(
          () => lookupCredentials('reg.example', { DOCKER_CONFIG: docker }),
          'IO_ERROR',
        );
        await expectAurionError(() => readOwner(special), 'IO_ERROR');
        const registry = await tempDir(t);
        await symlink(special, join(registry, 'index.json'));
        await expectAurionError(() => new DirectoryRegistry(registry).readIndex(), 'IO_ERROR');
      }
      // A dangling index.json is not an empty registry.
      const registry = await tempDir(t);
      await symlink(join(registry, 'gone.json'), join(registry, 'index.json'));
      const e = await expectAurionError(() => new DirectoryRegistry(registry).readIndex(), 'IO_ERROR');
      assert.match(e.message, /symbolic link to a file that does not exist/);
      // Nothing there: still fine.
      assert.deepEqual(await new DirectoryRegistry(join(registry, 'none')).readIndex(), {
        schema_version: 1,
        plugins: {},
      });
      assert.equal(await readOwner(join(registry, 'no.lock')), 'gone');
    },
  );
});
