import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acquireLock, isBreakFileOf, readOwner } from '../../src/io/lock.js';
import { expectAurionError, ROOT, tempDir } from '../helpers.js';
import { deadPid, lockRecord } from '../registry/util.js';

describe('lock files', () => {
  it('is exclusive: a second taker waits until the first releases', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, '.index.lock');
    const first = await acquireLock(path);
    const owner = await readOwner(path);
    assert.notEqual(owner, 'gone');
    assert.equal(typeof owner === 'object' && owner.pid, process.pid);
    let secondHeld = false;
    const second = acquireLock(path).then((l) => {
      secondHeld = true;
      return l;
    });
    // The second taker cannot have the lock while the file holds the first owner's token.
    const still = await readOwner(path);
    assert.equal(typeof still === 'object' && still.token, first.owner.token);
    assert.equal(secondHeld, false);
    await first.release();
    const held = await second;
    assert.equal(secondHeld, true);
    await held.release();
    assert.deepEqual(await readdir(dir), []);
  });

  it('gives up with IO_ERROR naming the owner when a live process keeps it', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, '.index.lock');
    // The parent of this test process is alive for the whole test.
    await writeFile(path, lockRecord(process.ppid));
    const err = await expectAurionError(() => acquireLock(path, { timeoutMs: 50 }), 'IO_ERROR');
    assert.match(err.message, new RegExp(`locked by pid ${process.ppid} on host`));
    assert.match(err.hint ?? '', /remove .*\.index\.lock/);
    assert.equal(await readFile(path, 'utf8'), lockRecord(process.ppid));
  });

  it('recovers a stale lock left by a dead process of this host', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, '.index.lock');
    await writeFile(path, lockRecord(await deadPid()));
    const lock = await acquireLock(path, { timeoutMs: 2000 });
    assert.equal(lock.owner.pid, process.pid);
    await lock.release();
    assert.deepEqual(await readdir(dir), []);
  });

  it('never breaks the lock of another host (its pids mean nothing here)', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, '.index.lock');
    await writeFile(path, lockRecord(await deadPid(), `not-${hostname()}`));
    const err = await expectAurionError(() => acquireLock(path, { timeoutMs: 50 }), 'IO_ERROR');
    assert.match(err.hint ?? '', /if host not-/);
  });

  it('treats a lock file it cannot read as held (never deletes what it does not understand)', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, '.index.lock');
    await writeFile(path, 'garbage');
    const err = await expectAurionError(() => acquireLock(path, { timeoutMs: 50 }), 'IO_ERROR');
    assert.match(err.message, /unknown process/);
    assert.equal(await readFile(path, 'utf8'), 'garbage');
  });

  it('recovers when the process that was breaking a stale lock died too', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, '.index.lock');
    const token = 'cd'.repeat(16);
    await writeFile(path, lockRecord(await deadPid(), hostname(), token));
    await writeFile(`${path}.break-${token}`, lockRecord(await deadPid(), hostname(), 'ef'.repeat(16)));
    const lock = await acquireLock(path, { timeoutMs: 2000 });
    await lock.release();
    // The dead breaker's file may stay until the next publish collects it; the lock itself is gone.
    assert.deepEqual(
      (await readdir(dir)).filter((n) => !isBreakFileOf(path, n)),
      [],
    );
  });

  it('keeps mutual exclusion when many processes recover the same stale lock at once', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, '.index.lock');
    const log = join(dir, 'log');
    await writeFile(path, lockRecord(await deadPid()));
    // Each worker takes the lock, writes enter/leave lines with a pause between, and releases it.
    const script = join(dir, 'worker.mjs');
    await writeFile(
      script,
      `import { appendFileSync } from 'node:fs';
       import { setTimeout as sleep } from 'node:timers/promises';
       const { acquireLock } = await import(${JSON.stringify(join(ROOT, 'dist/src/io/lock.js'))});
       const [path, log] = process.argv.slice(2);
       for (let i = 0; i < 3; i++) {
         const lock = await acquireLock(path, { timeoutMs: 30000 });
         appendFileSync(log, 'enter ' + process.pid + '\\n');
         await sleep(2);
         appendFileSync(log, 'leave ' + process.pid + '\\n');
         await lock.release();
       }`,
    );
    const workers = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, [script, path, log], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      return new Promise<void>((ok, fail) =>
        child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`worker failed: ${stderr}`)))),
      );
    });
    await Promise.all(workers);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 6 * 3 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      const [enter, leave] = [lines[i]!, lines[i + 1]!];
      assert.match(enter, /^enter \d+$/);
      assert.equal(
        leave,
        enter.replace('enter', 'leave'),
        `interleaved at line ${i + 1}: ${lines.join(', ')}`,
      );
    }
    assert.equal(
      (await readdir(dir)).filter((n) => n.startsWith('.index.lock') && !isBreakFileOf(path, n)).length,
      0,
    );
  });

  it('recognises only its own break file names', () => {
    const lock = '/r/.index.lock';
    assert.equal(isBreakFileOf(lock, `.index.lock.break-${'a'.repeat(32)}`), true);
    assert.equal(isBreakFileOf(lock, `.index.lock.break-${'a'.repeat(32)}.break-${'b'.repeat(32)}`), true);
    assert.equal(isBreakFileOf(lock, '.index.lock.break-zz'), false);
    assert.equal(isBreakFileOf(lock, 'index.json'), false);
  });
});
