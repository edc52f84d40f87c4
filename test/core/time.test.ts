import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRfc3339 } from '../../src/core/time.js';

describe('parseRfc3339', () => {
  it('accepts T and Z in either case, offsets and fractions, to the same instants', () => {
    const iso = (text: string) => parseRfc3339(text)?.toISOString();
    for (const text of [
      '2027-12-31T00:00:00Z',
      '2027-12-31t00:00:00z',
      '2027-12-31t00:00:00Z',
      '2027-12-31T00:00:00z',
      '2027-12-31T02:30:00+02:30',
      '2027-12-30t21:00:00-03:00',
      '2027-12-31T00:00:00.000000Z',
    ]) {
      assert.equal(iso(text), '2027-12-31T00:00:00.000Z', text);
    }
    assert.equal(iso('2027-12-31t00:00:00.25z'), '2027-12-31T00:00:00.250Z');
  });

  it('refuses impossible dates and times, a missing zone, other separators and bad offsets', () => {
    for (const text of [
      '2027-02-30T00:00:00Z',
      '2027-01-01T24:00:00Z',
      '2027-01-01T00:60:00Z',
      '2027-01-01T00:00:00',
      '2027-01-01 00:00:00Z',
      '2027-01-01x00:00:00Z',
      '2027-01-01',
      '2027-01-01T00:00:00+24:00',
      '2027-01-01T00:00:00+01:60',
      '2027-01-01T00:00:00+0100',
      ' 2027-01-01T00:00:00Z',
    ]) {
      assert.equal(parseRfc3339(text), undefined, text);
    }
  });
});
