import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkRequestMatches,
  MAX_CONFIG_DEPTH,
  parseJobRequest,
  stdinObject,
} from '../../../src/core/job/request.js';
import type { Manifest } from '../../../src/core/types.js';
import { expectAurionError } from '../../helpers.js';

const BASE = {
  jobId: 'j-1',
  pluginName: 'dns-enum',
  version: '1.2.0',
  target: 'example.com',
  serializedConfig: '{"n":9007199254740993,"x":1.0}',
  scopeId: 's',
};

describe('parseJobRequest', () => {
  it('takes lowerCamelCase and snake_case names, null as the default', () => {
    const camel = parseJobRequest(JSON.stringify(BASE), 'r');
    assert.equal(camel.serializedConfig, BASE.serializedConfig);
    assert.equal(camel.authorizationBundle, '');
    const snake = parseJobRequest(
      JSON.stringify({
        job_id: 'j-1',
        plugin_name: 'dns-enum',
        version: '1.2.0',
        target: 'example.com',
        serialized_config: '{}',
        scope_id: 's',
        authorization_bundle: null,
      }),
      'r',
    );
    assert.equal(snake.jobId, 'j-1');
    assert.equal(snake.authorizationBundle, '');
  });

  it('refuses unknown fields, repeats, wrong types, bad JSON, bad configs and targets: REQUEST_INVALID', async () => {
    const bad = [
      JSON.stringify({ ...BASE, jobID: 'x' }),
      '{"jobId":"a","job_id":"b"}',
      JSON.stringify({ ...BASE, scopeId: 5 }),
      '[]',
      '{',
      JSON.stringify({ ...BASE, serializedConfig: '' }),
      JSON.stringify({ ...BASE, serializedConfig: '1e400' }),
      JSON.stringify({ ...BASE, serializedConfig: '{"a":1} x' }),
      JSON.stringify({
        ...BASE,
        serializedConfig: `${'['.repeat(MAX_CONFIG_DEPTH + 1)}${']'.repeat(MAX_CONFIG_DEPTH + 1)}`,
      }),
      JSON.stringify({ ...BASE, jobId: '' }),
      JSON.stringify({ ...BASE, target: '*.example.com' }),
    ];
    for (const text of bad) await expectAurionError(() => parseJobRequest(text, 'r'), 'REQUEST_INVALID');
    await expectAurionError(() => parseJobRequest(Buffer.from([0xff]), 'r'), 'REQUEST_INVALID');
    // The deepest config a plugin can still parse inside the stdin object.
    const deepest = `${'['.repeat(MAX_CONFIG_DEPTH)}${']'.repeat(MAX_CONFIG_DEPTH)}`;
    assert.equal(
      parseJobRequest(JSON.stringify({ ...BASE, serializedConfig: deepest }), 'r').serializedConfig,
      deepest,
    );
  });

  it('checks the request against the bundle', async () => {
    const manifest = { name: 'dns-enum', version: '1.2.0' } as Manifest;
    const request = parseJobRequest(JSON.stringify(BASE), 'r');
    checkRequestMatches(request, manifest, 'r');
    await expectAurionError(
      () => checkRequestMatches({ ...request, version: '1.2.1' }, manifest, 'r'),
      'REQUEST_INVALID',
    );
    await expectAurionError(
      () => checkRequestMatches({ ...request, pluginName: 'other' }, manifest, 'r'),
      'REQUEST_INVALID',
    );
  });
});

describe('stdinObject', () => {
  it('inserts the config text as written and leaves the authorization out', () => {
    const text = stdinObject({
      ...BASE,
      serializedConfig: ' {"n": 9007199254740993, "x": 1.0} ',
      authorizationBundle: 'secret',
    });
    assert.equal(
      text,
      '{"job_id":"j-1","plugin_name":"dns-enum","version":"1.2.0","target":"example.com","config": {"n": 9007199254740993, "x": 1.0} ,"scope_id":"s"}',
    );
    assert.doesNotMatch(text, /secret/);
  });
});
