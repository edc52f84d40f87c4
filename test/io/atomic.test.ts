import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { tempPathFor, writeFileAtomic, writeStreamAtomic } from '../../src/io/atomic.js';
import { expectAurionError, ROOT, tempDir } from '../helpers.js';

describe('atomic writes', () => {
  it('write the file, and replace an existing one by default', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'out.txt');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.deepEqual(await readdir(dir), ['out.txt']);
  });

  it('refuse to replace with overwrite: false (ALREADY_EXISTS), keeping the old file and no temp file', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'key');
    await writeFile(path, 'mine');
    await expectAurionError(() => writeFileAtomic(path, 'theirs', { overwrite: false }), 'ALREADY_EXISTS');
    assert.equal(await readFile(path, 'utf8'), 'mine');
    assert.deepEqual(await readdir(dir), ['key']);
  });

  it('apply the mode to the new file', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'secret');
    await writeFileAtomic(path, 'x', { mode: 0o600 });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('leave nothing behind when the producer fails, and report its own error', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'out.bin');
    await assert.rejects(
      writeStreamAtomic(path, async (out) => {
        out.write(Buffer.alloc(1024));
        throw new Error('producer broke');
      }),
      /producer broke/,
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('remove the temporary file when the process is killed by SIGTERM or SIGINT mid-write', async (t) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const dir = await tempDir(t);
      const atomic = pathToFileURL(join(ROOT, 'dist', 'src', 'io', 'atomic.js')).href;
      const script = `
        const { writeStreamAtomic } = await import(${JSON.stringify(atomic)});
        await writeStreamAtomic(${JSON.stringify(join(dir, 'out.bin'))}, async (out) => {
          out.write(Buffer.alloc(4096));
          await new Promise(() => setInterval(() => {}, 1000));
        });`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
      const ended = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, sig) => resolve(sig)),
      );
      // Wait until the temporary file exists, then interrupt.
      for (let i = 0; i < 200 && (await readdir(dir)).length === 0; i++) await sleep(25);
      const [tmp] = await readdir(dir);
      assert.match(tmp ?? '', /^\.out\.bin\.aurion-tmp-/);
      child.kill(signal);
      assert.equal(await ended, signal);
      assert.deepEqual(await readdir(dir), [], `temporary file left after ${signal}`);
    }
  });

  it('refuse a loop of symbolic links (IO_ERROR), leaving the links as they were', async (t) => {
    const dir = await tempDir(t);
    await symlink('b', join(dir, 'a'));
    await symlink('a', join(dir, 'b'));
    const e = await expectAurionError(() => writeFileAtomic(join(dir, 'a'), 'x'), 'IO_ERROR');
    assert.match(e.message, /symbolic links/);
    assert.ok((await lstat(join(dir, 'a'))).isSymbolicLink());
    assert.deepEqual((await readdir(dir)).sort(), ['a', 'b']);
  });

  it('make temporary names of at most 255 bytes that name this process, for outputs of up to 255 bytes', () => {
    for (const name of ['out.bin', 'x'.repeat(209), 'x'.repeat(210), 'é'.repeat(127), 'y'.repeat(255)]) {
      const tmp = tempPathFor(join('/some/dir', name));
      const base = tmp.slice('/some/dir/'.length);
      assert.ok(
        Buffer.byteLength(base) <= 255,
        `${Buffer.byteLength(base)} bytes for a ${name.length}-char name`,
      );
      assert.match(base, new RegExp(`\\.aurion-tmp-${process.pid}-[0-9a-f]{8}-[0-9a-f]{12}$`));
      // The same output always gets the same prefix (so leftovers can be found), and different names differ.
      const again = tempPathFor(join('/some/dir', name));
      assert.equal(again.slice(0, again.lastIndexOf('-')), tmp.slice(0, tmp.lastIndexOf('-')));
    }
    const long = (c: string) => tempPathFor(join('/d', 'x'.repeat(250) + c));
    assert.notEqual(long('a').split('.aurion-tmp-')[0], long('b').split('.aurion-tmp-')[0]);
  });
});
