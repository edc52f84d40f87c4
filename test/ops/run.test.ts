/** runPlugin, the library form of `run`, through the public API. */
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTrust, runPlugin } from '../../src/index.js';
import { expectAurionError, tempDir } from '../helpers.js';
import {
  CORRECT,
  ECHO_BODY,
  EXPECTED_KEY,
  echoResult,
  JOB,
  module,
  PUB,
  pluginBundle,
} from './run-fixtures.js';

describe('runPlugin', () => {
  it('returns the --json document; the plugin stderr goes to onStderr', async (t) => {
    const extra = '(data (i32.const 12288) "log")';
    const bundle = await pluginBundle(
      join(await tempDir(t), 'p'),
      module({
        body: `(call $write (i32.const 12288) (i32.const 3) (i32.const 2)) ${ECHO_BODY}`,
        extra,
        ...echoResult(),
      }),
    );
    const trust = (await loadTrust({ trustedKeys: [PUB] }))!;
    const stderr: Buffer[] = [];
    const report = await runPlugin(bundle, {
      trust,
      job: { target: JOB.target, config: JOB.config, scopeId: JOB.scopeId, jobId: JOB.jobId },
      onStderr: (chunk) => stderr.push(Buffer.from(chunk)),
    });
    assert.equal(report.ok, true);
    assert.equal(report.expected_cache_key, EXPECTED_KEY);
    assert.deepEqual(Object.keys(report), [
      'ok',
      'plugin',
      'signer',
      'authorization',
      'expected_cache_key',
      'duration_ms',
      'limits',
      'job_result',
    ]);
    assert.equal(Buffer.concat(stderr).toString(), 'log');
  });

  it('a failing plugin is a report with ok false; a refusal before the start is thrown', async (t) => {
    const trust = (await loadTrust({ trustedKeys: [PUB] }))!;
    const job = { target: JOB.target, config: JOB.config, scopeId: JOB.scopeId };
    const trap = await pluginBundle(join(await tempDir(t), 'p'), module({ body: '(unreachable)' }));
    const report = await runPlugin(trap, { trust, job });
    assert.equal(report.ok, false);
    assert.equal(report.error?.code, 'PLUGIN_FAILED');
    assert.equal(report.job_result, null);
    const medium = await pluginBundle(join(await tempDir(t), 'm'), CORRECT, {
      capabilities: ['PortScan'],
      risk_class: 'Medium',
    });
    await expectAurionError(() => runPlugin(medium, { trust, job }), 'AUTHORIZATION_REQUIRED');
    await expectAurionError(() => runPlugin(trap, { trust }), 'USAGE');
    await expectAurionError(() => runPlugin(trap, { trust, job, timeoutSeconds: 301 }), 'USAGE');
  });

  describe('runs in a row (the sandbox keeps a worker and its compiled module for the same module and cap)', () => {
    const job = { target: JOB.target, config: JOB.config, scopeId: JOB.scopeId, jobId: JOB.jobId };
    // Grows memory one page at a time until memory.grow fails; traps unless it then has `pages` pages.
    const grower = (pages: number) =>
      module({
        memory: '2 65536',
        body: `(block $full (loop $grow
            (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
            (br $grow)))
          (if (i32.ne (memory.size) (i32.const ${pages})) (then (unreachable)))
          ${ECHO_BODY}`,
        ...echoResult(),
      });

    it('the same bundle fifty times: every run answers', async (t) => {
      const bundle = await pluginBundle(join(await tempDir(t), 'p'), CORRECT);
      const trust = (await loadTrust({ trustedKeys: [PUB] }))!;
      for (let i = 0; i < 50; i++) {
        const report = await runPlugin(bundle, { trust, job });
        assert.equal(report.ok, true, `run ${i}`);
        assert.equal(report.job_result?.cache_key, EXPECTED_KEY);
      }
    });

    it('another memory cap is another module: the cap of each run holds', async (t) => {
      const bundle = await pluginBundle(join(await tempDir(t), 'p'), grower(16));
      const trust = (await loadTrust({ trustedKeys: [PUB] }))!;
      const first = await runPlugin(bundle, { trust, job, memoryBytes: 1024 * 1024 });
      assert.equal(first.ok, true);
      // With 2 MiB the module grows to 32 pages and traps: a module compiled under the 1 MiB cap would pass.
      const second = await runPlugin(bundle, { trust, job, memoryBytes: 2 * 1024 * 1024 });
      assert.equal(second.ok, false);
      assert.equal(second.error?.code, 'PLUGIN_FAILED');
      assert.match(second.error?.message ?? '', /trapped/);
      const third = await runPlugin(bundle, { trust, job, memoryBytes: 1024 * 1024 });
      assert.equal(third.ok, true);
    });

    it('a bundle replaced at the same path runs its own module', async (t) => {
      const dir = await tempDir(t);
      const bundle = await pluginBundle(join(dir, 'a'), CORRECT);
      const trapping = await pluginBundle(join(dir, 'b'), module({ body: '(unreachable)' }));
      const trust = (await loadTrust({ trustedKeys: [PUB] }))!;
      assert.equal((await runPlugin(bundle, { trust, job })).ok, true);
      await copyFile(trapping, bundle);
      const replaced = await runPlugin(bundle, { trust, job });
      assert.equal(replaced.ok, false);
      assert.equal(replaced.error?.code, 'PLUGIN_FAILED');
      assert.match(replaced.error?.message ?? '', /trapped: unreachable/);
    });

    it('a run that timed out leaves no worker behind for the next run', async (t) => {
      const dir = await tempDir(t);
      const looping = await pluginBundle(
        join(dir, 'loop'),
        module({ body: '(loop $forever (br $forever)) (i32.const 0)' }),
      );
      const correct = await pluginBundle(join(dir, 'ok'), CORRECT);
      const trust = (await loadTrust({ trustedKeys: [PUB] }))!;
      for (let i = 0; i < 2; i++) {
        const timedOut = await runPlugin(looping, { trust, job, timeoutSeconds: 0.3 });
        assert.equal(timedOut.ok, false);
        assert.equal(timedOut.error?.code, 'PLUGIN_FAILED');
        assert.match(timedOut.error?.message ?? '', /timed out after 0\.3 s/);
        assert.equal((await runPlugin(correct, { trust, job })).ok, true);
      }
    });
  });
});
