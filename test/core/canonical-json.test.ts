import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  canonicalJson,
  canonicalJsonNode,
  canonicalNumber,
  formatF64,
  parseSerdeNumber,
  quoteString,
} from '../../src/core/canonical-json.js';
import { type JsonNode, parseJsonNode } from '../../src/core/json.js';
import { expectAurionError } from '../helpers.js';

const f64Bits = (x: number) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
};

describe('formatF64 (ryu format64 layout, as serde_json <= 1.0.146 writes f64)', () => {
  // Every `check!(literal)` of ryu tests/d2s_test.rs (ryu 1.0.23): the macro asserts that ryu prints the
  // literal exactly as written, so each literal is both the input and the expected output.
  const ryuChecks = [
    '0.3',
    '1234000000000000.0',
    '1.234e16',
    '2.71828',
    '1.1e128',
    '1.1e-64',
    '2.718281828459045',
    '5e-324',
    '1.7976931348623157e308',
    '0.0',
    '-0.0',
    '1.0',
    '-1.0',
    '2.2250738585072014e-308',
    '2.9802322387695312e-8',
    '-2.109808898695963e16',
    '4.940656e-318',
    '1.18575755e-316',
    '2.989102097996e-312',
    '9060801153433600.0',
    '4.708356024711512e18',
    '9.409340012568248e18',
    '1.2345678',
    '5.764607523034235e39',
    '1.152921504606847e40',
    '2.305843009213694e40',
    '1.2',
    '1.23',
    '1.234',
    '1.2345',
    '1.23456',
    '1.234567',
    '1.23456789',
    '1.234567895',
    '1.2345678901',
    '1.23456789012',
    '1.234567890123',
    '1.2345678901234',
    '1.23456789012345',
    '1.234567890123456',
    '1.2345678901234567',
    '4.294967294',
    '4.294967295',
    '4.294967296',
    '4.294967297',
    '4.294967298',
    '1.7800590868057611e-307',
    '2.8480945388892175e-306',
    '2.446494580089078e-296',
    '4.8929891601781557e-296',
    '1.8014398509481984e16',
    '3.6028797018963964e16',
    '2.900835519859558e-216',
    '5.801671039719115e-216',
    '3.196104012172126e-27',
    '9007199254740991.0',
    '9007199254740992.0',
    '12.0',
    '123.0',
    '1234.0',
    '12345.0',
    '123456.0',
    '1234567.0',
    '12345678.0',
    '123456789.0',
    '1234567890.0',
    '1234567895.0',
    '12345678901.0',
    '123456789012.0',
    '1234567890123.0',
    '12345678901234.0',
    '123456789012345.0',
    '1234567890123456.0',
    '10.0',
    '100.0',
    '1000000000000000.0',
    '1000000000000001.0',
    '1000000000010000.0',
    '1100000000000000.0',
    '8.0',
    '64.0',
    '562949953421312.0',
    '8796093022208000.0',
  ];
  for (const literal of ryuChecks) {
    it(`prints ${literal} as ryu does`, () => assert.equal(formatF64(Number(literal)), literal));
  }

  // serde_json tests/test.rs `test_write_f64` as of 1.0.146 (the last release on ryu).
  const serdeWriteF64: Array<[number, string]> = [
    [3.0, '3.0'],
    [3.1, '3.1'],
    [-1.5, '-1.5'],
    [0.5, '0.5'],
    [-Number.MAX_VALUE, '-1.7976931348623157e308'],
    [Number.MAX_VALUE, '1.7976931348623157e308'],
    [Number.EPSILON, '2.220446049250313e-16'],
  ];
  for (const [value, expected] of serdeWriteF64) {
    it(`writes ${expected} as serde_json's test_write_f64 expects`, () =>
      assert.equal(formatF64(value), expected));
  }

  // The branch boundaries of ryu's format64 (src/pretty/mod.rs), derived from its conditions on
  // kk (10^(kk-1) <= v < 10^kk) and k (exponent of the last digit).
  const boundaries: Array<[number, string, string]> = [
    [1e15, '1000000000000000.0', 'kk = 16: still an integer with .0'],
    [1e16, '1e16', 'kk = 17: exponent form, one digit has no ".0"'],
    [1.5e16, '1.5e16', 'kk = 17 with two digits'],
    [123456789012345.6, '123456789012345.6', '0 < kk <= 16 with a fraction'],
    [1e21, '1e21', 'no "+" in the exponent (JavaScript writes 1e+21)'],
    [1e-5, '0.00001', 'kk = -4: still 0.000…'],
    [1.5e-5, '0.000015', 'kk = -4 with two digits'],
    [1e-6, '1e-6', 'kk = -5: exponent form'],
    [1e-7, '1e-7', 'JavaScript writes 1e-7 too, but 1e-6 differs'],
    [0.1, '0.1', 'kk = 0'],
    [1.5e300, '1.5e300', 'three-digit exponent'],
    [-1.5e-300, '-1.5e-300', 'negative three-digit exponent'],
    [1.2345678901234567e20, '1.2345678901234567e20', 'seventeen digits in exponent form'],
    [100, '100.0', 'trailing zeros written out, then .0'],
  ];
  for (const [value, expected, why] of boundaries) {
    it(`writes ${expected} (${why})`, () => assert.equal(formatF64(value), expected));
  }

  it('refuses non-finite values (serde_json would write null, but its parser never produces them)', () => {
    assert.throws(() => formatF64(Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => formatF64(Number.NaN), RangeError);
  });

  it('round-trips every finite double and keeps the shortest digits', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const text = formatF64(x);
        assert.ok(Object.is(Number(text), x), `${text} does not read back as ${x}`);
        assert.match(text, /^-?(?:[0-9]+\.[0-9]+|[1-9](?:\.[0-9]*[1-9])?e-?[1-9][0-9]*)$/);
        const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
        const significant = digits.replace(/0+$/, '').length;
        if (significant > 1) {
          assert.notEqual(
            Number(Math.abs(x).toPrecision(significant - 1)),
            Math.abs(x),
            `${text} is not shortest`,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseSerdeNumber (serde_json de.rs, default features)', () => {
  // serde_json tests/test.rs `test_parse_f64` (both blocks apply without arbitrary_precision) and
  // `test_parse_negative_zero`: the expected values are Rust f64 literals, i.e. correctly rounded (written
  // as Number('…') where a JavaScript literal would lose digits in the source; the value is the same).
  const serdeParseF64: Array<[string, number]> = [
    ['0.0', 0.0],
    ['3.0', 3.0],
    ['3.1', 3.1],
    ['-1.2', -1.2],
    ['0.4', 0.4],
    ['2.638344616030823e-256', 2.638344616030823e-256],
    ['3.00', 3.0],
    ['0.4e5', 0.4e5],
    ['0.4e+5', 0.4e5],
    ['0.4e15', 0.4e15],
    ['0.4e+15', 0.4e15],
    ['0.4e-01', 0.4e-1],
    ['0.4e-001', 0.4e-1],
    ['0.4e-0', 0.4],
    ['0.00e00', 0.0],
    ['0.00e+00', 0.0],
    ['0.00e-00', 0.0],
    ['3.5E-2147483647', 0.0],
    ['0.0100000000000000000001', 0.01],
    ['18446744073709551616', 2 ** 64], // format!("{}", (u64::MAX as f64) + 1.0)
    ['0.0000000000000002220446049250313', Number.EPSILON],
    ['0.0000000000000000000000000000000000000000000000000123e50', 1.23],
    ['100e-777777777777777777777777777', 0.0],
    ['1010101010101010101010101010101010101010', Number('10101010101010101010e20')],
    ['0.1010101010101010101010101010101010101010', Number('0.1010101010101010101')],
    ['0e1000000000000000000000000000000000000000000000', 0.0],
    [`1${'0'.repeat(308)}`, 1e308],
    [`1${'0'.repeat(300)}.0e8`, 1e308],
    [`1${'0'.repeat(300)}e8`, 1e308],
    [`1${'0'.repeat(318)}e-10`, 1e308],
    ['-0.0', -0],
    ['-0e2', -0],
    ['-0.0e2', -0],
    ['-1e-400', -0],
    ['-1e-4000000000000000000000000000000000000000000000000', -0],
  ];
  for (const [lexeme, expected] of serdeParseF64) {
    it(`parses ${lexeme.length > 40 ? `${lexeme.slice(0, 30)}…` : lexeme} like serde_json's test_parse_f64`, () => {
      const n = parseSerdeNumber(lexeme);
      assert.ok(n?.kind === 'f64');
      assert.ok(Object.is(n.value, expected), `got ${String(n.value)}, expected ${expected}`);
    });
  }

  // The default parser is not correctly rounded (f64 of a u64 significand, then one rounded multiply or
  // divide). The orchestrator sees these values, so the key must too. Each case is a report in serde_json's
  // issue tracker with the value serde_json returned.
  const bestEffort: Array<[string, string, string]> = [
    ['0.9999999999999999', '1.0', 'serde-rs/json#1303: serde_json gives exactly 1.0'],
    ['122.416294033786585', '122.4162940337866', 'serde-rs/json#707'],
    ['10587.436593658975', '10587.436593658977', 'serde-rs/json#707'],
    ['117.63331139400017', '117.63331139400016', 'serde-rs/json#604'],
    ['123456789012345678901', '1.2345678901234567e20', 'SPEC §7 (a correct parser gives ...568e20)'],
  ];
  for (const [lexeme, expected, source] of bestEffort) {
    it(`${lexeme} becomes ${expected} (${source})`, () => {
      assert.equal(canonicalNumber(lexeme), expected);
      assert.notEqual(Number(expected), Number(lexeme), 'the case must differ from correct rounding');
    });
  }

  it('1.5777777777770001 becomes 0x3ff93e93e93e863a, one ULP below correct rounding (serde-rs/json#1336)', () => {
    const n = parseSerdeNumber('1.5777777777770001');
    assert.ok(n?.kind === 'f64');
    assert.equal(f64Bits(n.value), '3ff93e93e93e863a');
    assert.equal(f64Bits(Number('1.5777777777770001')), '3ff93e93e93e863b');
  });

  type SerdeKind = 'u64' | 'i64' | 'f64';
  const integers: Array<[string, string, SerdeKind]> = [
    ['0', '0', 'u64'],
    ['9007199254740993', '9007199254740993', 'u64'],
    ['18446744073709551615', '18446744073709551615', 'u64'],
    ['-1', '-1', 'i64'],
    ['-9223372036854775808', '-9223372036854775808', 'i64'],
    // parse_number: "Convert into a float if we underflow, or on `-0`".
    ['-0', '-0.0', 'f64'],
    ['-9223372036854775809', '-9.223372036854776e18', 'f64'],
    ['-18446744073709551615', '-1.8446744073709552e19', 'f64'],
    // parse_long_integer: digits beyond u64 only raise the exponent.
    ['18446744073709551616', '1.8446744073709552e19', 'f64'],
    ['100000000000000000000', '1e20', 'f64'],
    // A fraction or an exponent makes any number an f64, however integral.
    ['2.0', '2.0', 'f64'],
    ['1e2', '100.0', 'f64'],
    ['1E21', '1e21', 'f64'],
    ['1e+21', '1e21', 'f64'],
  ];
  for (const [lexeme, expected, kind] of integers) {
    it(`${lexeme} is ${kind} ${expected}`, () => {
      assert.equal(parseSerdeNumber(lexeme)?.kind, kind);
      assert.equal(canonicalNumber(lexeme), expected);
    });
  }

  // serde_json tests/test.rs `test_parse_number_errors`, the "number out of range" cases, and derived ones:
  // f64_from_parts refuses an infinite product; parse_exponent_overflow refuses a non-zero significand with
  // an exponent beyond i32 — but a zero significand or a negative exponent is 0.0.
  const outOfRange = [
    '100e777777777777777777777777777',
    '-100e777777777777777777777777777',
    `1${'0'.repeat(309)}`,
    `1${'0'.repeat(300)}.0e9`,
    `1${'0'.repeat(300)}e9`,
    '1e400',
    '-1e400',
    '1e309',
    '1.8e308',
    '1e2147483648',
  ];
  for (const lexeme of outOfRange) {
    it(`${lexeme.length > 40 ? `${lexeme.slice(0, 30)}…` : lexeme} is out of range`, () =>
      assert.equal(parseSerdeNumber(lexeme), undefined));
  }
  it('keeps zero and tiny values instead of failing', () => {
    assert.equal(canonicalNumber('0e2147483648'), '0.0');
    assert.equal(canonicalNumber('1e-2147483649'), '0.0');
    assert.equal(canonicalNumber('1e-400'), '0.0');
    assert.equal(canonicalNumber('5e-324'), '5e-324');
    assert.equal(canonicalNumber('1.7976931348623157e308'), '1.7976931348623157e308');
  });

  it('refuses text that is not a JSON number', () => {
    for (const bad of ['', '-', '01', '1.', '.5', '+1', '1e', 'NaN', ' 1']) {
      assert.throws(() => parseSerdeNumber(bad), TypeError, bad);
    }
  });

  it('keeps every i64/u64 integer exact', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }), (n) => {
        const expected = n === 0n ? '0' : n.toString();
        assert.equal(canonicalNumber(n.toString()), expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('is correctly rounded where serde_json is exact: at most 15 digits and |exponent| <= 22', () => {
    // Below 2^53 the significand converts exactly and 1e0..1e22 are exact f64s, so one IEEE operation
    // gives the correctly rounded value: there the result must equal JavaScript's Number().
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 99_999_999_999_999n }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: -7, max: 7 }),
        fc.boolean(),
        (digits, point, exp, negative) => {
          const s = digits.toString().padStart(16, '0');
          const lexeme = `${negative ? '-' : ''}${BigInt(s.slice(0, 16 - point))}.${s.slice(16 - point) || '0'}e${exp}`;
          assert.equal(canonicalNumber(lexeme), formatF64(Number(lexeme)), lexeme);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('quoteString (serde_json ser.rs ESCAPE table)', () => {
  it('escapes only what serde_json escapes', () => {
    assert.equal(quoteString('"\\\b\f\n\r\t'), '"\\"\\\\\\b\\f\\n\\r\\t"');
    assert.equal(quoteString('\u0000\u0001\u000b\u001f'), '"\\u0000\\u0001\\u000b\\u001f"');
    assert.equal(quoteString('/\u007f\u2028\u2029é😀\ufeff'), '"/\u007f\u2028\u2029é😀\ufeff"');
    assert.equal(quoteString(''), '""');
  });
  it('writes lowercase hex', () => assert.equal(quoteString('\u001a'), '"\\u001a"'));
});

describe('canonicalJson', () => {
  it('drops whitespace and sorts keys at every level', () => {
    assert.equal(
      canonicalJson(' {\n\t"b" : [ 1 , { "d" : null , "c" : true } ] ,\r\n "a" : "x" } \n'),
      '{"a":"x","b":[1,{"c":true,"d":null}]}',
    );
  });

  it('sorts keys by UTF-8 bytes (code points), not UTF-16 units', () => {
    // U+FFFF is EF BF BF in UTF-8 and sorts before U+1F600 (F0 9F 98 80); in UTF-16 the surrogate D83D
    // comes first. U+E000 likewise.
    const text = '{"😀":1,"\\uffff":2,"\\ue000":3,"é":4,"z":5,"":6}';
    assert.equal(canonicalJson(text), '{"":6,"z":5,"é":4,"\ue000":3,"\uffff":2,"😀":1}');
    assert.deepEqual(['😀', '\uffff'].sort(), ['😀', '\uffff'], 'JavaScript sort order differs');
  });

  it('orders keys by code point for any Unicode keys', () => {
    const codePoints = (s: string) => [...s].map((c) => c.codePointAt(0)!);
    const byCodePoint = (a: string, b: string) => {
      const x = codePoints(a);
      const y = codePoints(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 4 }), { maxLength: 8 }), (keys) => {
        const node: JsonNode = { kind: 'object', entries: keys.map((k) => [k, { kind: 'null' }] as const) };
        const expected = `{${[...keys]
          .sort(byCodePoint)
          .map((k) => `${quoteString(k)}:null`)
          .join(',')}}`;
        assert.equal(canonicalJsonNode(node), expected);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the last of duplicate keys, as serde_json Value does', () => {
    assert.equal(canonicalJson('{"a":1,"b":2,"a":3}'), '{"a":3,"b":2}');
    assert.equal(canonicalJson('{"a":{"x":1},"a":{"y":2}}'), '{"a":{"y":2}}');
    assert.equal(canonicalJson('{"a":1,"\\u0061":[2]}'), '{"a":[2]}');
  });

  it('still refuses an out-of-range number in a value that a duplicate key replaces', async () => {
    const e = await expectAurionError(() => canonicalJson('{"a":1e400,"a":2}'), 'CONFIG_INVALID');
    assert.match(e.message, /\/a/);
    assert.match(e.message, /number out of range/);
  });

  it('writes the SPEC §7 examples', () => {
    assert.equal(
      canonicalJson('[9007199254740993, 2.0, 1e21, 1e-7, -0.0, 123456789012345678901]'),
      '[9007199254740993,2.0,1e21,1e-7,-0.0,1.2345678901234567e20]',
    );
  });

  it('accepts any JSON value at the top', () => {
    assert.equal(canonicalJson(' "a/b" '), '"a/b"');
    assert.equal(canonicalJson('null'), 'null');
    assert.equal(canonicalJson('false'), 'false');
    assert.equal(canonicalJson('[]'), '[]');
    assert.equal(canonicalJson('-12'), '-12');
  });

  const rejected: Array<[string, string, RegExp]> = [
    ['a syntax error', '{"a":}', /unexpected/],
    ['a trailing comma', '[1,]', /unexpected/],
    ['a byte order mark', '\ufeff{}', /byte order mark/],
    ['a lone surrogate escape', '["\\ud800"]', /lone leading surrogate/],
    ['a raw control character', '"a\u0001"', /control character/],
    ['trailing content', '{} x', /after the JSON value/],
    ['an empty text', '', /end of input/],
    ['a number out of range', '{"x":[1,1e400]}', /\/x\/1.*number out of range: 1e400/],
    ['nesting of 128 levels', `${'['.repeat(128)}${']'.repeat(128)}`, /nesting deeper than 127/],
  ];
  for (const [what, text, message] of rejected) {
    it(`refuses ${what} with CONFIG_INVALID`, async () => {
      const e = await expectAurionError(() => canonicalJson(text, { source: '--config' }), 'CONFIG_INVALID');
      assert.match(e.message, message);
      assert.match(e.message, /--config/);
      assert.equal(e.exitCode, 3);
    });
  }

  it('accepts nesting of 127 levels, like serde_json', () => {
    assert.equal(
      canonicalJson(`${'['.repeat(127)}${']'.repeat(127)}`),
      `${'['.repeat(127)}${']'.repeat(127)}`,
    );
  });
});

describe('canonicalJsonNode', () => {
  it('gives the same text as canonicalJson for a parsed tree', () => {
    const text = '{"b":[1.50,{"y":"\\n","x":-0}],"a":1e2}';
    assert.equal(canonicalJsonNode(parseJsonNode(text)), canonicalJson(text));
    assert.equal(canonicalJson(text), '{"a":100.0,"b":[1.5,{"x":-0.0,"y":"\\n"}]}');
  });

  const badNodes: Array<[string, JsonNode, RegExp]> = [
    [
      'an invalid number lexeme',
      { kind: 'array', items: [{ kind: 'number', lexeme: '0x10' }] },
      /\/0.*"0x10"/,
    ],
    ['a lone surrogate in a string', { kind: 'string', value: 'a\ud800' }, /lone surrogate/],
    [
      'a lone surrogate in a key',
      { kind: 'object', entries: [['\udc00', { kind: 'null' }]] },
      /lone surrogate/,
    ],
  ];
  for (const [what, node, message] of badNodes) {
    it(`refuses ${what}`, async () => {
      const e = await expectAurionError(() => canonicalJsonNode(node), 'CONFIG_INVALID');
      assert.match(e.message, message);
    });
  }

  it('refuses a hand-built tree deeper than serde_json would parse', async () => {
    let node: JsonNode = { kind: 'null' };
    for (let i = 0; i < 128; i++) node = { kind: 'array', items: [node] };
    await expectAurionError(() => canonicalJsonNode(node), 'CONFIG_INVALID');
  });
});
