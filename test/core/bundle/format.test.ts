import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeName, parseSize } from '../../../src/core/bundle/format.js';
import { expectAurionError } from '../../helpers.js';

describe('parseSize', () => {
  it('reads bytes with an optional KiB/MiB/GiB suffix', () => {
    assert.equal(parseSize('1048576'), 1048576);
    assert.equal(parseSize('64KiB'), 64 * 1024);
    assert.equal(parseSize('512MiB'), 512 * 1024 * 1024);
    assert.equal(parseSize('1GiB'), 1024 ** 3);
    assert.equal(parseSize('3GiB'), 3 * 1024 ** 3);
  });

  for (const junk of [
    '',
    '0',
    '0MiB',
    '-1',
    '1.5MiB',
    '1 MiB',
    '1kib',
    '1MB',
    '1TiB',
    'MiB',
    ' 1',
    '99999999999999999GiB',
  ]) {
    it(`refuses ${JSON.stringify(junk)} with USAGE`, async () => {
      const err = await expectAurionError(() => parseSize(junk), 'USAGE');
      assert.match(err.hint ?? '', /KiB, MiB or GiB/);
    });
  }
});

describe('describeName', () => {
  it('quotes printable ASCII and escapes everything else', () => {
    assert.equal(describeName('manifest.json'), '"manifest.json"');
    assert.equal(describeName('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(describeName('\x1b[2J\n\x7f\xe9'), '"\\x1b[2J\\x0a\\x7f\\xe9"');
    assert.equal(describeName('\u202e'), '"\\u{202e}"');
  });
});
