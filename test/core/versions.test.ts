import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/core/tuf-meta.js';
import { parsePluginQuery, pickVersion } from '../../src/core/versions.js';
import { expectAurionError } from '../helpers.js';

const VERSIONS = ['0.9.0', '1.0.0', '1.2.0', '1.2.1-rc.1', '1.4.2', '2.0.0-beta.1', '2.1.0', '3.0.0-rc.1'];

describe('version queries (SPEC §11)', () => {
  it('parses NAME, NAME@VERSION and NAME@RANGE; USAGE otherwise', async () => {
    assert.deepEqual(parsePluginQuery('dns-enum'), { name: 'dns-enum', query: { kind: 'latest' } });
    assert.deepEqual(parsePluginQuery('dns-enum@1.2.0+b1'), {
      name: 'dns-enum',
      query: { kind: 'exact', version: '1.2.0+b1' },
    });
    assert.deepEqual(parsePluginQuery('dns-enum@>=2 <3'), {
      name: 'dns-enum',
      query: { kind: 'range', range: '>=2 <3' },
    });
    for (const bad of ['Dns', 'dns-enum@', 'dns-enum@latest', 'dns-enum@ ', '@1.0.0', 'a@1.0.0']) {
      await expectAurionError(() => parsePluginQuery(bad), 'USAGE');
    }
  });

  it('picks the highest release, the exact version, or the highest in a range with npm semantics', () => {
    assert.equal(pickVersion(VERSIONS, { kind: 'latest' }), '2.1.0');
    assert.equal(pickVersion(VERSIONS, { kind: 'exact', version: '1.2.1-rc.1' }), '1.2.1-rc.1');
    assert.equal(pickVersion(VERSIONS, { kind: 'exact', version: '1.2.2' }), undefined);
    const range = (r: string) => pickVersion(VERSIONS, { kind: 'range', range: r });
    assert.equal(range('^1.2'), '1.4.2');
    assert.equal(range('~1.2.0'), '1.2.0');
    assert.equal(range('~1.2.1-rc.0'), '1.2.1-rc.1');
    assert.equal(range('>=2 <3'), '2.1.0');
    assert.equal(range('1.x'), '1.4.2');
    assert.equal(range('^3'), undefined, 'a prerelease needs a range that names one');
    assert.equal(range('>=3.0.0-rc.0'), '3.0.0-rc.1');
    assert.equal(pickVersion(['1.0.0-rc.1'], { kind: 'latest' }), undefined);
  });
});

describe('TUF expiry durations', () => {
  it('reads <n>s|m|h|d and writes them back', async () => {
    assert.equal(parseDuration('1d', 'x'), 86_400);
    assert.equal(parseDuration('90m', 'x'), 5400);
    assert.equal(formatDuration(86_400 * 365), '365d');
    assert.equal(formatDuration(5400), '90m');
    assert.equal(formatDuration(61), '61s');
    for (const bad of ['', '0d', '1w', '-1d', '1.5h', '1 d', '99999999999d']) {
      await expectAurionError(() => parseDuration(bad, '--root-expires'), 'USAGE');
    }
  });
});
