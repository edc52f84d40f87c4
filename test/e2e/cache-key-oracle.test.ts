/**
 * Differential test: computeCacheKey and the cache-key command against the real Rust reference
 * (test/oracles/cache-key-rs: the plugin model's compute_cache_key over serde_json + blake3, built offline
 * from Debian's crates). Thousands of generated configs go through both, in one oracle process per batch;
 * key, canonical text and accept/refuse must agree.
 *
 * The generator seed is random on every run and printed with any mismatch; set AURION_ORACLE_SEED to replay
 * it and AURION_ORACLE_SCALE (e.g. 20) for a longer hunt.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { computeCacheKey } from '../../src/core/cachekey.js';
import { AurionError } from '../../src/errors.js';
import { assertCliError, ROOT, runCli, tempDir } from '../helpers.js';
import {
  buildOracle,
  type OracleRequest,
  type OracleResponse,
  runOracle,
} from '../oracles/cache-key-oracle.js';

const SEED = Number(process.env['AURION_ORACLE_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const SCALE = Number(process.env['AURION_ORACLE_SCALE'] ?? 1);

// ---------------------------------------------------------------------------------------------------------
// Numbers. A number is a sign, a digit string D and an exponent q (value = D × 10^q), spelled in one of many
// equivalent ways: serde_json's parser is not correctly rounded, so "1.5e3", "15e2" and "0.0015e6" can give
// different f64s, and every spelling must give the same one in both implementations.

interface Decimal {
  readonly negative: boolean;
  readonly digits: string;
  readonly q: number;
}

/** `[-]I[.F][e±X]` (any JavaScript rendering) to digits and exponent. */
function decompose(text: string): Decimal {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (m === null) throw new Error(`not a decimal: ${text}`);
  const fraction = m[3] ?? '';
  return { negative: m[1] === '-', digits: m[2]! + fraction, q: Number(m[4] ?? 0) - fraction.length };
}

const digitsOf = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));
const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
const subnormal = fc.double({ min: 0, max: 2.2250738585072014e-308, noNaN: true });
const nearMax = fc.double({ min: 1.7e308, max: Number.MAX_VALUE, noNaN: true });

/** A double printed the ways JavaScript prints numbers (shortest, fixed digits, 17-25 significant digits...). */
const printedDouble = (double: fc.Arbitrary<number>) =>
  fc
    .tuple(
      double,
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 1, max: 25 }),
      fc.integer({ min: 17, max: 25 }),
    )
    .map(([x, how, n, long]) => {
      const abs = Math.abs(x);
      const text = [
        String(abs),
        abs.toExponential(Math.min(n - 1, 20)),
        abs.toPrecision(n),
        abs.toPrecision(long),
        abs < 1e21 ? abs.toFixed(Math.min(n, 30)) : String(abs),
      ][how]!;
      return { ...decompose(text), negative: Object.is(x, -0) || x < 0 };
    });

const POWERS = [
  -324, -323, -308, -307, -8, -7, -6, -5, -4, -1, 0, 15, 16, 17, 18, 19, 20, 21, 22, 23, 308, 309,
];
/** Just below, at and just above powers of ten, where ryu's layout and serde_json's rounding change. */
const nearPowerOfTen = fc
  .tuple(
    fc.oneof(fc.constantFrom(...POWERS), fc.integer({ min: -330, max: 312 })),
    fc.integer({ min: 0, max: 22 }),
    fc.constantFrom('1', '9', '10', '19', '15', '95', '11', '99', '05'),
    fc.boolean(),
  )
  .map(([p, n, tail, negative]) => {
    // 1 000…0 tail (just above 10^p) or 9 999…9 tail (just below); the point sits after the leading digit.
    const digits = tail.startsWith('9') ? `${'9'.repeat(n + 1)}${tail}` : `1${'0'.repeat(n)}${tail}`;
    return { negative, digits, q: p - (digits.length - 1) };
  });

const BOUNDS = [2n ** 53n, 2n ** 63n, 2n ** 64n, 10n ** 19n, 10n ** 20n, 2n ** 64n / 10n];
/** Integers around 2^53 and the i64/u64 limits, and long integers past them. */
const boundaryInteger = fc.oneof(
  fc
    .tuple(fc.constantFrom(...BOUNDS), fc.integer({ min: -4, max: 4 }), fc.boolean())
    .map(([b, delta, negative]) => ({ negative, digits: (b + BigInt(delta)).toString(), q: 0 })),
  fc.tuple(digitsOf(19, 45), fc.boolean()).map(([d, negative]) => ({ negative, digits: `1${d}`, q: 0 })),
);

/** f64::MAX's digits with more digits after them: which of these overflow is serde_json's rounding. */
const maxDigits = fc
  .tuple(
    fc.constantFrom('17976931348623157', '17976931348623158', '1797693134862315', '179769313486231580793'),
    digitsOf(0, 8),
  )
  .map(([lead, more]) => ({ negative: false, digits: lead + more, q: 309 - (lead + more).length }));

/** Exponents near and beyond i32 (serde_json's exponent overflow and saturation). */
const hugeExponent = fc
  .tuple(digitsOf(1, 3), fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.boolean())
  .map(([d, delta, negative, big]) => ({ negative, digits: d, q: (big ? 1 : -1) * (2 ** 31 + delta) }));

const decimal: fc.Arbitrary<Decimal> = fc.oneof(
  { weight: 5, arbitrary: printedDouble(finiteDouble) },
  { weight: 1, arbitrary: printedDouble(subnormal) },
  { weight: 1, arbitrary: printedDouble(nearMax) },
  { weight: 3, arbitrary: nearPowerOfTen },
  { weight: 2, arbitrary: boundaryInteger },
  { weight: 1, arbitrary: maxDigits },
  { weight: 1, arbitrary: hugeExponent },
  {
    weight: 2,
    arbitrary: fc
      .tuple(digitsOf(1, 30), fc.integer({ min: -40, max: 40 }), fc.boolean())
      .map(([digits, q, negative]) => ({ negative, digits, q })),
  },
  { weight: 1, arbitrary: fc.boolean().map((negative) => ({ negative, digits: '0', q: 0 })) },
);

/**
 * A JSON number lexeme for the decimal: trailing zeros added, the point moved (leading zeros in the fraction
 * included), the exponent written with e/E, with or without `+`, with leading zeros, or left out when zero.
 */
const numberLexeme = fc
  .tuple(
    decimal,
    fc.integer({ min: 0, max: 3 }),
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })), // 0: no point (an integer lexeme when no exponent)
    fc.constantFrom('e', 'E'),
    fc.boolean(),
    fc.integer({ min: 0, max: 3 }),
    fc.boolean(),
  )
  .map(([{ negative, digits, q }, trailing, point, e, plus, zeros, omitZeroExp]) => {
    const m = (digits.replace(/^0+/, '') || '0') + '0'.repeat(trailing);
    const k = Math.min(point, m.length + 6); // digits after the point
    const exp = q - trailing + k;
    let mantissa: string;
    if (k === 0) mantissa = m.replace(/^0+(?=.)/, '');
    else if (k >= m.length) mantissa = `0.${'0'.repeat(k - m.length)}${m}`;
    else mantissa = `${m.slice(0, m.length - k).replace(/^0+(?=.)/, '')}.${m.slice(m.length - k)}`;
    const sign = exp < 0 ? '-' : plus ? '+' : '';
    const exponent = exp === 0 && omitZeroExp ? '' : `${e}${sign}${'0'.repeat(zeros)}${Math.abs(exp)}`;
    return `${negative ? '-' : ''}${mantissa}${exponent}`;
  });

// ---------------------------------------------------------------------------------------------------------
// Strings: code points spelled raw or escaped (short escapes, \u in either case, surrogate pairs for astral
// characters), with control characters, quotes, backslashes, DEL, U+2028/U+2029, BOM and non-characters.

const SPECIAL_CODE_POINTS = [
  0x22, 0x5c, 0x2f, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x2028, 0x2029, 0xe000, 0xfeff, 0xfffe, 0xffff, 0x10000,
  0x1f600, 0x10ffff,
];
const codePoint = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x1f }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_CODE_POINTS) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xffff }).filter((c) => c < 0xd800 || c > 0xdfff) },
  { weight: 2, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
);
const SHORT: Readonly<Record<number, string>> = {
  34: '\\"',
  92: '\\\\',
  47: '\\/',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  12: '\\f',
  13: '\\r',
};
function unicodeEscape(cp: number, upper: boolean): string {
  const hex = (n: number) => {
    const h = n.toString(16).padStart(4, '0');
    return `\\u${upper ? h.toUpperCase() : h}`;
  };
  if (cp < 0x10000) return hex(cp);
  const v = cp - 0x10000;
  return hex(0xd800 + (v >> 10)) + hex(0xdc00 + (v & 0x3ff));
}
/** One code point as it may appear inside a JSON string literal. */
function spell(cp: number, how: number, upper: boolean): string {
  const short = SHORT[cp];
  if (cp < 0x20 || cp === 0x22 || cp === 0x5c) {
    return how % 2 === 0 && short !== undefined ? short : unicodeEscape(cp, upper);
  }
  if (how === 0) return unicodeEscape(cp, upper);
  if (how === 1 && short !== undefined) return short;
  return String.fromCodePoint(cp);
}
const spelledCodePoint = fc
  .tuple(codePoint, fc.integer({ min: 0, max: 4 }), fc.boolean())
  .map(([cp, how, up]) => spell(cp, how, up));
const stringLiteral = fc.array(spelledCodePoint, { maxLength: 8 }).map((parts) => `"${parts.join('')}"`);

/**
 * Keys from a small pool, so that objects repeat keys (spelled differently), built from characters that sort
 * differently by UTF-16 unit and by UTF-8 byte (U+E000..U+FFFF against astral ones), plus random ones.
 */
const KEY_CODE_POINTS = [
  0x61, 0x62, 0x41, 0x7e, 0x7f, 0xe9, 0x7ff, 0x800, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff, 0x0a,
];
const pooledKey = fc
  .tuple(
    fc.array(fc.constantFrom(...KEY_CODE_POINTS), { maxLength: 2 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.boolean()), { minLength: 2, maxLength: 2 }),
  )
  .map(([cps, hows]) => `"${cps.map((cp, i) => spell(cp, hows[i]![0], hows[i]![1])).join('')}"`);
const keyLiteral = fc.oneof({ weight: 3, arbitrary: pooledKey }, { weight: 1, arbitrary: stringLiteral });

// ---------------------------------------------------------------------------------------------------------
// Documents: nested values with JSON whitespace anywhere it is allowed.

const ws = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), minLength: 1, maxLength: 3 }),
  },
);
const leaf = fc.oneof(
  { weight: 4, arbitrary: numberLexeme },
  { weight: 3, arbitrary: stringLiteral },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
);
const { value: jsonText } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 5 }, leaf, tie('array'), tie('object')),
  array: fc
    .tuple(fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: 5 }), ws)
    .map(([items, w]) => `[${items.length === 0 ? w : items.map(([a, v, b]) => a + v + b).join(',')}]`),
  object: fc
    .tuple(fc.array(fc.tuple(ws, keyLiteral, ws, ws, tie('value'), ws), { maxLength: 6 }), ws)
    .map(
      ([members, w]) =>
        `{${members.length === 0 ? w : members.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(',')}}`,
    ),
}));
const documentText = fc.tuple(ws, jsonText, ws).map(([a, t, b]) => a + t + b);

/** Moves a cut off the middle of a surrogate pair: the request must stay well-formed Unicode. */
function codePointBoundary(text: string, at: number): number {
  const c = text.charCodeAt(at);
  return c >= 0xdc00 && c <= 0xdfff ? at + 1 : at;
}

/** Texts serde_json should refuse (most of them): each a small corruption of a valid document. */
const BAD_LEXEMES = [
  '1e400',
  '-1e400',
  '1.',
  '.5',
  '+1',
  '01',
  '-',
  '1e',
  '1e+',
  '--1',
  '0x1',
  'NaN',
  'Infinity',
  '1.e5',
  '1e5.5',
  '١',
];
const BAD_STRINGS = [
  '"\\ud800"',
  '"\\udc00"',
  '"a\\ud83dz"',
  '"\\ud800\\u0041"',
  '"\\ud800\\ud800"',
  '"\\x41"',
  '"\\u12"',
  '"\u0001"',
  '"\t"',
  '"\\U0041"',
  "'a'",
];
const corrupted = fc
  .tuple(
    documentText,
    fc.integer({ min: 0, max: 9 }),
    fc.nat(),
    fc.constantFrom(...BAD_LEXEMES, ...BAD_STRINGS),
  )
  .map(([text, how, n, bad]) => {
    const at = codePointBoundary(text, n % (text.length + 1));
    switch (how) {
      case 0: {
        // A trailing comma before a closing bracket, when there is one.
        const close = text.slice(at).search(/[\]}]/);
        return close < 0 ? `[${text},]` : `${text.slice(0, at + close)},${text.slice(at + close)}`;
      }
      case 1:
        return `[${text},${bad}]`;
      case 2:
        return `{"k":${bad},"k":${text}}`; // refused even though a later duplicate replaces it
      case 3:
        return text.slice(0, at); // truncated (sometimes still valid: "12" -> "1")
      case 4:
        return `${text}${['x', ',', ']', '}', '"', '0', '/', '{}'][n % 8]}`;
      case 5:
        return `${['\ufeff', '\u000c', '\u00a0', '\u2028', '/**/', '\u000b'][n % 6]}${text}`;
      case 6: {
        const depth = 120 + (n % 10); // around serde_json's limit of 127 levels, on top of the text's own depth
        return `${'['.repeat(depth)}${text}${']'.repeat(depth)}`;
      }
      case 7:
        return `${text.slice(0, at)}${bad}${text.slice(at)}`;
      case 8:
        return text.replace(/"/, "'");
      default:
        return `${text.slice(0, at)}\u0000${text.slice(at)}`;
    }
  });

/** name, version and scope: any well-formed Unicode (no NUL, so the same strings can be CLI arguments). */
const label = fc.string({ unit: 'binary', maxLength: 6 }).filter((s) => !s.includes('\0'));
const requestFor = (config: fc.Arbitrary<string>) =>
  fc.record({ name: label, version: label, config, scope: label });

// ---------------------------------------------------------------------------------------------------------
// The oracle is serde_json 1.0.87 (Debian bookworm). serde_json 1.0.89 (commit 9d94e92, "Require at least one
// digit after decimal point") changed one check, and the library follows the newer behaviour, which every
// later ryu-era release (up to 1.0.146) shares. 1.0.87 counted the digits after the point with the same
// exponent that counts integer digits dropped past u64, so after a long integer part it
// (a) accepts a point with no digit after it: `123456789012345678901.`, `123456789012345678901.e5`;
// (b) refuses `1844674407370955161[6-9].[0-5]` (one digit dropped, one fraction digit taken back).
// Generated texts that contain such a number are left out of the comparison; the test below pins both.
const ORACLE_QUIRK_A = /(?<![0-9])[1-9][0-9]{19,}\.(?![0-9])/;
const ORACLE_QUIRK_B = /(?<![0-9])1844674407370955161[6-9]\.[0-5](?![0-9])/;
const hitsOracleQuirk = (text: string) => ORACLE_QUIRK_A.test(text) || ORACLE_QUIRK_B.test(text);

// Hand-picked configs that must agree; each is a trap for some implementation of the rules. ACCEPTED are
// texts serde_json accepts, REFUSED texts it refuses (the test checks that the oracle agrees with the split).
const ACCEPTED = [
  // serde_json's best-effort float parsing (issues #1303, #707, #604, #1336) and correctly rounded neighbours.
  '0.9999999999999999',
  '122.416294033786585',
  '10587.436593658975',
  '117.63331139400017',
  '1.5777777777770001',
  '123456789012345678901',
  '0.1010101010101010101010101010101010101010',
  '1010101010101010101010101010101010101010',
  // Subnormals and the halfway point below the smallest one.
  '5e-324',
  '4.9406564584124654e-324',
  '2.4703282292062327e-324',
  '2.4703282292062328e-324',
  '2.2250738585072011e-308',
  '2.2250738585072012e-308',
  '2.2250738585072014e-308',
  '1e-323',
  '1e-400',
  '-1e-400',
  // Around f64::MAX.
  '1.7976931348623157e308',
  `1${'0'.repeat(308)}`,
  '1e308',
  '10e307',
  '0.1e309',
  // ryu's layout switches: kk = 16 and kk = -5.
  '1e15',
  '1e16',
  '1e17',
  '999999999999999.9',
  '9999999999999998',
  '9999999999999999.0',
  '1234567890123456.7',
  '0.0001',
  '0.00001',
  '0.000001',
  '1e-5',
  '1e-6',
  '1e-7',
  '0.000012345',
  '0.0000012345',
  // Exact powers of ten and the table's end.
  '1e22',
  '1e23',
  '8.41e21',
  '9007199254740993e-1',
  '1e-22',
  '1e-23',
  // Integers around 2^53, i64 and u64.
  '9007199254740992',
  '9007199254740993',
  '-9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '18446744073709551615',
  '18446744073709551616',
  '-18446744073709551615',
  '-18446744073709551616',
  '184467440737095516150',
  '18446744073709551615.5',
  '1844674407370955161.5',
  // Zero in every spelling.
  '0',
  '-0',
  '0.0',
  '-0.0',
  '-0e0',
  '0e-0',
  '-0.000e-10',
  '0e999999999999',
  '-0E+0000000000000000000000000000001',
  // Exponents: signs, leading zeros, i32 overflow and saturation.
  '1E+0000000000000000000021',
  '1e-0000000000000000000007',
  '1e-2147483648',
  '1e-2147483649',
  '0.1e-2147483647',
  `0.${'0'.repeat(400)}1e400`,
  '100e-777777777777777777777777777',
  '1.5e300',
  '-2.0',
  // Strings and keys.
  '"\\u2028\u2028\\u2029\u2029\\/\u007f\\u007F"',
  '"\\ud83d\\ude00\\uD83D\\uDE00😀"',
  '"\\u0000\\u001f\\u001F\\b\\f\\n\\r\\t\\"\\\\"',
  '"\ufeff\ufffe\uffff\\uFFFF"',
  '{"😀":1,"\\uffff":2,"\\ue000":3,"é":4,"z":5,"":6,"\\u0000":7}',
  '{"\\ud800\\udc00":1,"\\uffff":2,"𐀀":3}',
  '{"a":1,"a":2,"\\u0061":3}',
  '{"a":{"b":1},"a":[1e2]}',
  '{"b":1,"a":{"d":[],"c":{}}}',
  ' \t\n\r[ \t\n\r1 \t\n\r, \t\n\r{ "a" : null } ]\r\n',
  `${'['.repeat(127)}${']'.repeat(127)}`,
  `${'{"a":'.repeat(127)}1${'}'.repeat(127)}`,
];
const REFUSED = [
  // Numbers beyond f64 (serde_json's rounding decides which of these overflow).
  '1.7976931348623158e308',
  '1.7976931348623159e308',
  `179769313486231570${'0'.repeat(291)}`,
  `17976931348623158${'0'.repeat(292)}`,
  `1${'0'.repeat(309)}`,
  '1e309',
  '1e2147483647',
  '1e2147483648',
  '100e777777777777777777777777777',
  // Nesting beyond serde_json's limit of 127 levels.
  `${'['.repeat(128)}${']'.repeat(128)}`,
  `${'{"a":'.repeat(128)}1${'}'.repeat(128)}`,
  '[1,]',
  '{"a":1,}',
  '{"a":1e400,"a":1}',
  '["\\ud800"]',
  '["\\udc00"]',
  '["\\ud800\\u0041"]',
  '["\\ud800x"]',
  '"\\ud800\\ud800"',
  '"\\udbff\\udfff\\udc00"',
  '[-]',
  '[01]',
  '[1.]',
  '[.5]',
  '[+1]',
  '[1.e5]',
  '[1e]',
  '[NaN]',
  '[Infinity]',
  '\ufeff{}',
  '{} x',
  '{}{}',
  '',
  ' ',
  '[1 2]',
  "{'a':1}",
  '{"a" 1}',
  '{1:2}',
  '"\u0001"',
  '"\\x41"',
  '"\\u12"',
  'tru',
  'nul',
  'True',
  '\u00a0[]',
  '[]\u000c',
  '/*c*/[]',
];
const CURATED = [...ACCEPTED, ...REFUSED];

type Outcome = { ok: true; cacheKey: string; canonical: string } | { ok: false; error: string };

function viaLibrary(r: OracleRequest): Outcome {
  try {
    const key = computeCacheKey(r);
    return { ok: true, cacheKey: key.cacheKey, canonical: key.canonicalConfig };
  } catch (e) {
    if (e instanceof AurionError && e.code === 'CONFIG_INVALID') return { ok: false, error: e.message };
    throw e;
  }
}

const viaOracle = (r: OracleResponse): Outcome =>
  r.ok ? { ok: true, cacheKey: r.cache_key, canonical: r.canonical_config } : { ok: false, error: r.error };

const agree = (a: Outcome, b: Outcome) =>
  a.ok && b.ok ? a.cacheKey === b.cacheKey && a.canonical === b.canonical : a.ok === b.ok;

/** Runs the requests through both and fails with the first disagreements, the seed and how to replay them. */
async function compare(binary: string, requests: readonly OracleRequest[]): Promise<OracleResponse[]> {
  const responses = await runOracle(binary, requests);
  const mismatches = [];
  for (const [i, request] of requests.entries()) {
    const rust = viaOracle(responses[i]!);
    const node = viaLibrary(request);
    if (!agree(rust, node)) mismatches.push({ config: request.config, rust, node });
  }
  assert.deepEqual(
    mismatches.slice(0, 5),
    [],
    `${mismatches.length} of ${requests.length} configs disagree with the Rust reference ` +
      `(AURION_ORACLE_SEED=${SEED} replays this run)`,
  );
  return responses;
}

const sample = <T>(arbitrary: fc.Arbitrary<T>, runs: number, salt: number) =>
  fc.sample(arbitrary, { seed: SEED + salt, numRuns: Math.max(1, Math.round(runs * SCALE)) });

describe('cache-key against the Rust reference (serde_json + blake3, built from Debian crates)', () => {
  let oracle = '';
  before(async () => {
    oracle = await buildOracle();
  });

  it('the oracle reproduces the reference vectors (it is the reference)', async () => {
    const vectors = JSON.parse(
      await readFile(join(ROOT, 'test', 'vectors', 'cache-key.json'), 'utf8'),
    ) as Array<OracleRequest & { cache_key: string; canonical_config: string }>;
    const responses = await runOracle(
      oracle,
      vectors.map(({ name, version, config, scope }) => ({ name, version, config, scope })),
    );
    assert.deepEqual(
      responses,
      vectors.map((v) => ({ ok: true, cache_key: v.cache_key, canonical_config: v.canonical_config })),
    );
  });

  it('agrees on every hand-picked config', async () => {
    const requests = CURATED.map((config, i) => ({ name: 'n', version: `${i}`, config, scope: 's' }));
    const responses = await compare(oracle, requests);
    assert.deepEqual(
      responses.map((r, i) => `${r.ok ? 'accepts' : 'refuses'} ${JSON.stringify(CURATED[i]).slice(0, 60)}`),
      CURATED.map(
        (c, i) => `${i < ACCEPTED.length ? 'accepts' : 'refuses'} ${JSON.stringify(c).slice(0, 60)}`,
      ),
    );
  });

  it('agrees on thousands of generated number lexemes', async () => {
    const requests = sample(
      requestFor(fc.tuple(ws, numberLexeme, ws).map(([a, n, b]) => a + n + b)),
      2500,
      1,
    ).filter((r) => !hitsOracleQuirk(r.config));
    const responses = await compare(oracle, requests);
    assert.ok(responses.filter((r) => r.ok).length > requests.length * 0.8, 'mostly valid numbers');
  });

  it('agrees on generated nested documents (shuffled and duplicate keys, escapes, whitespace)', async () => {
    const requests = sample(requestFor(documentText), 1200, 2).filter((r) => !hitsOracleQuirk(r.config));
    const responses = await compare(oracle, requests);
    // Numbers beyond f64 are frequent in the generator, so about a fifth of the documents are refused.
    assert.ok(responses.filter((r) => r.ok).length > requests.length * 0.6, 'mostly valid documents');
  });

  it('agrees on accept/refuse for corrupted documents', async () => {
    const requests = sample(requestFor(corrupted), 800, 3).filter((r) => !hitsOracleQuirk(r.config));
    const responses = await compare(oracle, requests);
    assert.ok(responses.filter((r) => !r.ok).length > requests.length * 0.5, 'mostly refused texts');
  });

  it('knows where the oracle (serde_json 1.0.87) differs from serde_json >= 1.0.89, which the library follows', async () => {
    const requests = ['123456789012345678901.', '[123456789012345678901.e5]', '18446744073709551616.5'].map(
      (config) => ({ name: 'n', version: '1', config, scope: 's' }),
    );
    const [a, b, c] = await runOracle(oracle, requests);
    assert.deepEqual([a?.ok, b?.ok, c?.ok], [true, true, false], 'the oracle is no longer serde_json 1.0.87');
    assert.deepEqual(
      requests.map((r) => viaLibrary(r).ok),
      [false, false, true],
    );
    assert.equal((viaLibrary(requests[2]!) as { canonical: string }).canonical, '1.8446744073709552e19');
    assert.ok(
      requests.every((r) => hitsOracleQuirk(r.config)),
      'the generated cases leave these out',
    );
  });

  it('the CLI prints what the oracle computes, or refuses what it refuses (exit 3, CONFIG_INVALID)', async (t) => {
    const dir = await tempDir(t);
    const requests = [
      ...sample(requestFor(documentText), 6, 4),
      ...sample(requestFor(corrupted), 4, 5),
      ...sample(requestFor(numberLexeme), 4, 6),
      { name: 'n', version: '1', config: CURATED[0]!, scope: 's' },
      { name: 'n', version: '1', config: '["\\ud800"]', scope: 's' },
    ].filter((r) => !hitsOracleQuirk(r.config));
    const responses = await runOracle(oracle, requests);
    for (const [i, request] of requests.entries()) {
      const file = join(dir, `config-${i}.json`);
      await writeFile(file, request.config);
      const r = await runCli([
        'cache-key',
        `--name=${request.name}`,
        `--version=${request.version}`,
        `--scope=${request.scope}`,
        '--config-file',
        file,
        '--json',
      ]);
      const expected = responses[i]!;
      if (expected.ok) {
        assert.equal(r.code, 0, `${JSON.stringify(request)}: ${r.stderr}`);
        assert.deepEqual(r.json, expected, `${JSON.stringify(request)} (AURION_ORACLE_SEED=${SEED})`);
      } else {
        assertCliError(r, 3, 'CONFIG_INVALID');
      }
    }
  });
});
