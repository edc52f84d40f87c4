import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkJobResult,
  documentText,
  MAX_STDOUT,
  parseJobResult,
  prettyJson,
} from '../../../src/core/job/result.js';
import { expectAurionError } from '../../helpers.js';

const enc = (text: string) => Buffer.from(text, 'utf8');
const OK = '{"job_id":"j","success":true,"output_json":{"big":9007199254740993},"cache_key":"k","extra":1}\n';

describe('parseJobResult / checkJobResult', () => {
  it('accepts one object with the four fields; further fields are ignored; numbers kept for printing', () => {
    const { result, output } = parseJobResult(enc(OK));
    assert.equal(result.job_id, 'j');
    assert.equal(prettyJson(output), '{\n  "big": 9007199254740993\n}');
    checkJobResult(result, 'j', 'k');
  });

  it('refuses anything else with RESULT_INVALID', async () => {
    for (const text of [
      '',
      'nope',
      '[]',
      '{"job_id":"j","success":true,"output_json":1}',
      '{"job_id":"j","success":1,"output_json":1,"cache_key":"k"}',
      '{"job_id":"j","success":true,"cache_key":"k"}',
      '{"job_id":"j","job_id":"j","success":true,"output_json":1,"cache_key":"k"}',
      `${OK}${OK}`,
    ]) {
      await expectAurionError(() => parseJobResult(enc(text)), 'RESULT_INVALID');
    }
    await expectAurionError(() => parseJobResult(Buffer.from([0xc3])), 'RESULT_INVALID');
    await expectAurionError(() => parseJobResult(new Uint8Array(MAX_STDOUT + 1)), 'RESULT_INVALID');
  });

  it('checks job id, then cache key, then success', async () => {
    const { result } = parseJobResult(enc(OK));
    await expectAurionError(() => checkJobResult(result, 'other', 'x'), 'RESULT_INVALID');
    const e = await expectAurionError(() => checkJobResult(result, 'j', 'expected'), 'CACHE_KEY_MISMATCH');
    assert.match(e.message, /"k" is not the expected expected/);
    await expectAurionError(() => checkJobResult({ ...result, success: false }, 'j', 'k'), 'JOB_FAILED');
  });

  it('prints strings safely for a terminal', () => {
    const { output } = parseJobResult(
      enc('{"job_id":"j","success":true,"output_json":"\\u001b[2J\\u009b","cache_key":"k"}'),
    );
    assert.equal(prettyJson(output), '"\\u001b[2J\\u009b"');
  });
});

describe('documentText', () => {
  it('is JSON.stringify(doc, null, 2) except for the exact value at its path', () => {
    const doc = { ok: true, a: [1, 'x', { b: null, skip: undefined }], e: {}, f: [], s: 'q"\n' };
    assert.equal(
      documentText(doc, () => undefined),
      JSON.stringify(doc, null, 2),
    );
    const { result, output } = parseJobResult(enc(OK));
    const report = { ok: true, job_result: result };
    const text = documentText(report, (p) => (p.join('/') === 'job_result/output_json' ? output : undefined));
    assert.match(text, /"output_json": \{\n {6}"big": 9007199254740993\n {4}\}/);
    assert.deepEqual(JSON.parse(text).job_result.job_id, 'j');
  });
});
