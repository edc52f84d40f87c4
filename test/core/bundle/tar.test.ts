import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type TarEntry, TarParser, ustarFileHeader } from '../../../src/core/bundle/tar.js';
import { AurionError } from '../../../src/errors.js';
import { entry, paxHeader, rawHeader, tar } from '../../fixtures/tar.js';

/** Feeds `bytes` in the given chunk sizes and records what the parser reports. */
function parse(bytes: Buffer, chunkSizes: (i: number) => number = () => bytes.length) {
  const events: Array<{ entry: TarEntry; data: Buffer }> = [];
  let current: Buffer[] = [];
  const parser = new TarParser('test', {
    entry: (e) => {
      current = [];
      events.push({ entry: e, data: Buffer.alloc(0) });
    },
    data: (chunk) => current.push(Buffer.from(chunk)),
    entryEnd: () => {
      events.at(-1)!.data = Buffer.concat(current);
    },
  });
  for (let pos = 0, i = 0; pos < bytes.length; i++) {
    const n = Math.max(1, chunkSizes(i));
    parser.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  parser.finish();
  return events;
}

const SAMPLE = Buffer.concat([
  tar(
    paxHeader([
      ['path', 'first'],
      ['mtime', '1767225600.5'],
    ]),
    entry('ignored', 'hello'),
    entry('empty', ''),
    entry('block', Buffer.alloc(512, 1)),
    entry('big', Buffer.alloc(1500, 2), { mtime: 7 }),
  ),
  Buffer.alloc(700),
]);

describe('TarParser', () => {
  it('reports entries, PAX overrides applied, with their data', () => {
    const events = parse(SAMPLE);
    assert.deepEqual(
      events.map((e) => [e.entry.name, e.entry.kind, e.entry.size, e.entry.mtime, e.entry.offset]),
      [
        ['first', 'file', 5, 1767225600, 0],
        ['empty', 'file', 0, 0, 2048],
        ['block', 'file', 512, 0, 2560],
        ['big', 'file', 1500, 7, 3584],
      ],
    );
    assert.equal(events[0]!.data.toString(), 'hello');
    assert.deepEqual(events[3]!.data, Buffer.alloc(1500, 2));
  });

  it('gives the same result however the input is chunked (1 byte, odd sizes, random)', () => {
    const whole = parse(SAMPLE);
    assert.deepEqual(
      parse(SAMPLE, () => 1),
      whole,
    );
    assert.deepEqual(
      parse(SAMPLE, (i) => [511, 513, 1, 1024, 7][i % 5]!),
      whole,
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 50 }), (sizes) => {
        assert.deepEqual(
          parse(SAMPLE, (i) => sizes[i % sizes.length]!),
          whole,
        );
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('finds non-zero trailing data in any chunk, and truncation at any point', () => {
    const bad = Buffer.concat([SAMPLE, Buffer.from([1])]);
    for (const size of [1, 100, 4096]) {
      assert.throws(() => parse(bad, () => size), /data after the tar end-of-archive marker/);
    }
    for (let cut = 0; cut < SAMPLE.length - 700 - 1024 + 512; cut += 37) {
      assert.throws(
        () => parse(SAMPLE.subarray(0, cut), () => 64),
        (e: unknown) =>
          e instanceof AurionError && e.code === 'BUNDLE_INVALID' && /truncated/.test(e.message),
        `cut at ${cut}`,
      );
    }
  });

  it('names where a truncation happened', () => {
    const header = rawHeader({ name: 'module.wasm', size: 10 });
    assert.throws(() => parse(header.subarray(0, 100)), /truncated in a tar header/);
    assert.throws(
      () => parse(Buffer.concat([header, Buffer.alloc(3)])),
      /truncated in the data of tar entry "module\.wasm"/,
    );
    assert.throws(
      () => parse(paxHeader([['path', 'x']]).subarray(0, 520)),
      /truncated in a PAX extended header/,
    );
  });
});

describe('ustarFileHeader', () => {
  it('writes a header the parser reads back, with a valid checksum', () => {
    const header = ustarFileHeader('module.wasm', 123456, 1767225600);
    const events = parse(
      Buffer.concat([header, Buffer.alloc(123456), Buffer.alloc(512 - (123456 % 512)), Buffer.alloc(1024)]),
    );
    assert.deepEqual(
      events.map((e) => e.entry),
      [{ name: 'module.wasm', kind: 'file', size: 123456, mtime: 1767225600, offset: 0 }],
    );
    assert.equal(header.toString('latin1', 100, 108), '0000644\0');
    assert.equal(header.toString('latin1', 257, 265), 'ustar\x0000');
    assert.equal(header.toString('latin1', 265, 329), '\0'.repeat(64)); // empty uname and gname
  });

  it('refuses names and numbers a plain ustar header cannot hold', () => {
    assert.throws(() => ustarFileHeader('x'.repeat(101), 0, 0), /not short ASCII/);
    assert.throws(() => ustarFileHeader('caf\u00e9', 0, 0), /not short ASCII/);
    assert.throws(() => ustarFileHeader('a', 8 ** 11, 0), /size .* does not fit/);
    assert.throws(() => ustarFileHeader('a', 0, -1), /mtime -1 does not fit/);
  });
});
