import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { writeFileAtomic, writeStreamAtomic } from '../../src/io/atomic.js';
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
});
