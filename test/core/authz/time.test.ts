import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTime, parseDuration, parseRfc3339, parseTimeArgument } from '../../../src/core/time.js';

describe('authorization times', () => {
  it('reads RFC 3339 with T/Z in either case and with offsets', () => {
    const z = Date.UTC(2026, 11, 31, 23, 59, 59);
    assert.equal(parseRfc3339('2026-12-31T23:59:59Z')?.getTime(), z);
    assert.equal(parseRfc3339('2026-12-31t23:59:59z')?.getTime(), z);
    assert.equal(parseRfc3339('2027-01-01T01:59:59+02:00')?.getTime(), z);
    assert.equal(parseRfc3339('2026-12-31T20:29:59-03:30')?.getTime(), z);
    assert.equal(parseRfc3339('2026-12-31T23:59:59.250Z')?.getTime(), z + 250);
  });
  it('refuses what is not a real date-time with a zone', () => {
    for (const bad of [
      '2026-12-31T23:59:59',
      '2026-12-31 23:59:59Z',
      '2027-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-12-31T24:00:00Z',
      '2026-12-31T23:60:00Z',
      '2026-12-31T23:59:60Z',
      '2026-12-31T23:59:59+24:00',
      '2026-12-31',
      '72h',
    ]) {
      assert.equal(parseRfc3339(bad), undefined, bad);
    }
  });
  it('reads durations <n>s|m|h|d and nothing else', () => {
    assert.equal(parseDuration('72h'), 72 * 3600_000);
    assert.equal(parseDuration('14d'), 14 * 86_400_000);
    assert.equal(parseDuration('30m'), 30 * 60_000);
    assert.equal(parseDuration('45s'), 45_000);
    for (const bad of ['h', '1.5h', '-1h', '1w', '1H', ' 1h', '1h ', '1234567890s']) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
    const now = new Date(Date.UTC(2026, 0, 1));
    assert.equal(parseTimeArgument('1d', now)?.getTime(), Date.UTC(2026, 0, 2));
    assert.equal(parseTimeArgument('2026-01-05T00:00:00Z', now)?.getTime(), Date.UTC(2026, 0, 5));
    assert.equal(parseTimeArgument('tomorrow', now), undefined);
  });
  it('writes UTC to the second', () => {
    assert.equal(formatTime(new Date(Date.UTC(2026, 11, 1))), '2026-12-01T00:00:00Z');
    assert.equal(formatTime(new Date(Date.UTC(2026, 11, 1, 0, 0, 0, 5))), '2026-12-01T00:00:00.005Z');
  });
});
