import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers.js';

/**
 * In a fresh CommonJS process (an ES module entry would have started the pool already): start the pool the
 * way the launcher does, lower its threads' priority, and report every thread's nice value from /proc.
 */
function probe(env: NodeJS.ProcessEnv, lower: boolean): { pool: number[]; nice: Record<string, number> } {
  const launcher = join(ROOT, 'dist', 'src', 'cli', 'launch.cjs');
  const script = `
    const fs = require('node:fs');
    const l = require(${JSON.stringify(launcher)});
    const pool = l.startThreadPool();
    if (${lower}) l.lowerThreadPriority(pool);
    const nice = {};
    for (const id of fs.readdirSync('/proc/self/task')) {
      const stat = fs.readFileSync('/proc/self/task/' + id + '/stat', 'utf8');
      nice[id === String(process.pid) ? 'main' : id] = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    }
    console.log(JSON.stringify({ pool, nice }));`;
  const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env } });
  return JSON.parse(out.toString()) as { pool: number[]; nice: Record<string, number> };
}

describe('libuv thread pool priority (Linux)', () => {
  it('finds exactly the pool threads, and lowers theirs alone', () => {
    const { pool, nice } = probe({ UV_THREADPOOL_SIZE: '3' }, true);
    if (process.platform !== 'linux') {
      assert.deepEqual(pool, []);
      return;
    }
    assert.equal(pool.length, 3);
    // Relative to the process's own nice value, in case the tests themselves run under nice(1).
    const base = nice['main']!;
    for (const id of pool) {
      if (base <= 10) assert.equal(nice[String(id)], 10, `pool thread ${id}`);
      else assert.ok(nice[String(id)]! >= 10, `pool thread ${id}`);
    }
    const others = Object.keys(nice).filter((id) => id !== 'main' && !pool.includes(Number(id)));
    assert.ok(others.length > 0, 'V8 has threads of its own');
    for (const id of others) assert.equal(nice[id], base, `thread ${id} is not the pool's`);
  });

  it('leaves every thread alone unless asked', () => {
    const { pool, nice } = probe({ UV_THREADPOOL_SIZE: '2' }, false);
    if (process.platform === 'linux') assert.equal(pool.length, 2);
    for (const [id, value] of Object.entries(nice)) assert.equal(value, nice['main'], id);
  });
});
