/** runPlugin, the library form of `run`, through the public API. */
import assert from 'node:assert/strict';
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
});
