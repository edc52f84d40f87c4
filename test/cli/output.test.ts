import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Output, terminalSafe, terminalSafeDeep } from '../../src/cli/output.js';
import { AurionError } from '../../src/errors.js';

describe('terminalSafe (SPEC §2)', () => {
  const cases: Array<[string, string, string]> = [
    ['ESC sequences', '\u001b[2K\u001b[1Aok', '\\x1b[2K\\x1b[1Aok'],
    ['newline and tab inside a field', 'a\nb\tc\r', 'a\\x0ab\\x09c\\x0d'],
    ['NUL, BEL, DEL', '\u0000\u0007\u007f', '\\x00\\x07\\x7f'],
    ['C1 controls (CSI U+009B, NEL U+0085)', '\u009b31m\u0085', '\\x9b31m\\x85'],
    ['bidi overrides and isolates', '\u202eabc\u202c\u2066x\u2069', '\\u202eabc\\u202c\\u2066x\\u2069'],
    [
      'bidi marks and line separators',
      '\u200e\u200f\u061c\u2028\u2029',
      '\\u200e\\u200f\\u061c\\u2028\\u2029',
    ],
    ['ordinary text, also non-ASCII', 'dns-enum — ✓ Ünïcode 漢字 \\x1b', 'dns-enum — ✓ Ünïcode 漢字 \\x1b'],
  ];
  for (const [what, input, expected] of cases) {
    it(`escapes ${what}`, () => assert.equal(terminalSafe(input), expected));
  }

  it('terminalSafeDeep escapes every string of arrays and plain objects, and nothing else', () => {
    const date = new Date(0);
    const value = { a: '\u001b', b: ['\u0007', { c: '\u009b' }], n: 1, t: true, z: null, date };
    assert.deepEqual(terminalSafeDeep(value), {
      a: '\\x1b',
      b: ['\\x07', { c: '\\x9b' }],
      n: 1,
      t: true,
      z: null,
      date,
    });
    assert.equal(value.a, '\u001b', 'the input is not changed');
  });
});

describe('Output', () => {
  const capture = (json: boolean) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const chunks = { out: '', err: '' };
    stdout.on('data', (c: Buffer) => {
      chunks.out += c.toString();
    });
    stderr.on('data', (c: Buffer) => {
      chunks.err += c.toString();
    });
    return { out: new Output({ json, color: false, stdout, stderr }), chunks };
  };

  it('escapes error messages, issues and hints, and warnings, in human mode', () => {
    const { out, chunks } = capture(false);
    out.error(
      new AurionError('MANIFEST_INVALID', 'bad \u001b[2K', {
        issues: [{ at: '/\u001bk', message: 'm\u0007' }],
        hint: 'h\u009b',
      }),
      false,
    );
    out.warn('w\u001b]0;t\u0007');
    assert.equal(
      chunks.err,
      'error: bad \\x1b[2K\n  /\\x1bk: m\\x07\nhint: h\\x9b\nwarning: w\\x1b]0;t\\x07\n',
    );
  });

  it('result hands the text function an escaped copy; --json prints the exact values', () => {
    const human = capture(false);
    human.out.result({ name: 'a\u001b[1A' }, (d) => `got ${d.name}`);
    assert.equal(human.chunks.out, 'got a\\x1b[1A\n');
    const json = capture(true);
    json.out.result({ name: 'a\u001b[1A' }, (d) => `got ${d.name}`);
    assert.deepEqual(JSON.parse(json.chunks.out), { ok: true, name: 'a\u001b[1A' });
  });
});
