/**
 * Canonical JSON exactly as the orchestrator's Rust reference writes it: `serde_json::to_string(&value)` of a
 * `serde_json::Value` that serde_json 1.0 (default features) parsed from the same text. The cache key hashes
 * these bytes, so "almost the same" is a different key. `JSON.parse` + `JSON.stringify` cannot do this: they
 * round every number to f64 (9007199254740993 changes), print 2.0 as `2` and 1e21 as `1e+21`, and sort nothing.
 *
 * The rules, each taken from the Rust source (serde_json src/de.rs, src/ser.rs, src/value/de.rs; ryu
 * src/pretty/mod.rs):
 * - Objects: serde_json's `Map` is a `BTreeMap<String, Value>` (no `preserve_order`), so keys come out sorted by
 *   their UTF-8 bytes (= code point order; JavaScript's default sort is UTF-16 order, which puts U+E000 after
 *   U+1F600). A repeated key keeps its last value (`BTreeMap::insert` replaces).
 * - No whitespace anywhere (`CompactFormatter`).
 * - Strings: `"` and `\` escaped, \b \t \n \f \r as such, other bytes below 0x20 as `\u00XX` (lowercase hex);
 *   everything else — `/`, DEL, U+2028/U+2029, non-ASCII — is written as it is (serde_json's `ESCAPE` table).
 * - Numbers: serde_json's parser, not a correctly rounded one (see `parseSerdeNumber`); integers that fit u64
 *   (non-negative) or i64 (negative) stay integers and are written exactly; everything else is an f64 written
 *   the way ryu's `format64` lays out the shortest round-trip digits (see `formatF64`).
 */
import { AurionError } from '../errors.js';
import { type JsonNode, JsonParseError, parseJsonNode, pointerToken } from './json.js';

/** A number as serde_json holds it (`N::PosInt`, `N::NegInt`, `N::Float`). */
export type SerdeNumber =
  | { readonly kind: 'u64'; readonly value: bigint }
  | { readonly kind: 'i64'; readonly value: bigint }
  | { readonly kind: 'f64'; readonly value: number };

export interface CanonicalJsonOptions {
  /** Names the input in error messages, e.g. `config file job.json` or `--config`. */
  readonly source?: string;
}

/** serde_json's default recursion limit (see json.ts): the Rust reference never sees a deeper value. */
const MAX_DEPTH = 127;
const NUMBER_LEXEME = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN_MAGNITUDE = 1n << 63n;
const I32_MAX = 2 ** 31 - 1;
const I32_MIN = -(2 ** 31);
/** serde_json's `POW10` table: the f64 literals 1e0 ..= 1e308, each correctly rounded (as Rust's are). */
const POW10: readonly number[] = Array.from({ length: 309 }, (_, i) => Number(`1e${i}`));

/** serde_json's `overflow!(a * 10 + b, u64::MAX)`: would the next decimal digit overflow a u64? */
function overflowsU64(a: bigint, digit: number): boolean {
  return a * 10n + BigInt(digit) > U64_MAX;
}

const saturateI32 = (n: number) => Math.min(I32_MAX, Math.max(I32_MIN, n));

/**
 * serde_json's f64 from `significand × 10^exponent` without the `float_roundtrip` feature
 * (de.rs `f64_from_parts`): the u64 significand rounded to f64, then ONE rounded multiply or divide by a power
 * of ten. That is not correctly rounded — "0.9999999999999999" becomes 1.0, "123456789012345678901" becomes
 * 1.2345678901234567e20 where a correct parser gives ...68e20 — but it is what the Rust reference computes,
 * and JavaScript's `*` and `/` round exactly like Rust's (IEEE 754 binary64, round to nearest even).
 * Returns undefined where serde_json fails with "number out of range".
 */
function f64FromParts(positive: boolean, significand: bigint, exponent: number): number | undefined {
  let f = Number(significand); // like `u64 as f64`: round to nearest, ties to even
  let exp = exponent;
  for (;;) {
    const abs = Math.abs(exp); // i32::MIN.wrapping_abs() misses the table in Rust; > 308 misses it here
    if (abs <= 308) {
      if (exp >= 0) {
        f *= POW10[abs]!;
        if (!Number.isFinite(f)) return undefined;
      } else {
        f /= POW10[abs]!;
      }
      break;
    }
    if (f === 0) break;
    if (exp >= 0) return undefined;
    f /= 1e308;
    exp += 308;
  }
  return positive ? f : -f;
}

/**
 * Parses a JSON number lexeme the way serde_json 1.0 does with default features (de.rs `parse_integer`,
 * `parse_number`, `parse_decimal`, `parse_exponent`, `parse_long_integer`, `parse_decimal_overflow`,
 * `parse_exponent_overflow`, `f64_from_parts`). Returns undefined for "number out of range" (an f64 overflow,
 * e.g. 1e400: serde_json refuses rather than produce infinity). Throws a TypeError for text that is not a JSON
 * number at all.
 */
export function parseSerdeNumber(lexeme: string): SerdeNumber | undefined {
  if (!NUMBER_LEXEME.test(lexeme)) throw new TypeError(`not a JSON number: ${JSON.stringify(lexeme)}`);
  const positive = lexeme[0] !== '-';
  const end = lexeme.length;
  let i = positive ? 0 : 1;
  const digitAt = (at: number) => {
    const d = lexeme.charCodeAt(at) - 48;
    return at < end && d >= 0 && d <= 9 ? d : -1;
  };

  // Integer part: accumulate a u64; once the next digit would overflow, every further integer digit only
  // raises the exponent (parse_long_integer) — the digits themselves are dropped, not rounded.
  let significand = 0n;
  let exponent = 0;
  let longInteger = false;
  for (let d = digitAt(i); d >= 0; d = digitAt(++i)) {
    if (longInteger || overflowsU64(significand, d)) {
      longInteger = true;
      exponent++;
    } else {
      significand = significand * 10n + BigInt(d);
    }
  }

  if (i === end) {
    if (longInteger) return f64(f64FromParts(positive, significand, exponent));
    if (positive) return { kind: 'u64', value: significand };
    // "Convert into a float if we underflow, or on `-0`" (parse_number): -0 is -0.0, below i64::MIN an f64.
    if (significand === 0n) return { kind: 'f64', value: -0 };
    if (significand <= I64_MIN_MAGNITUDE) return { kind: 'i64', value: -significand };
    return { kind: 'f64', value: -Number(significand) };
  }

  if (lexeme[i] === '.') {
    // parse_decimal: fraction digits keep filling the same u64 (even after a long integer part, where a
    // fraction digit then takes the place of a dropped integer digit — serde_json does exactly that); the
    // first digit that would overflow ends it, and the rest are ignored (parse_decimal_overflow).
    i++;
    let fractionDigits = 0;
    let truncated = false;
    for (let d = digitAt(i); d >= 0; d = digitAt(++i)) {
      if (truncated) continue;
      if (overflowsU64(significand, d)) {
        truncated = true;
      } else {
        significand = significand * 10n + BigInt(d);
        fractionDigits++;
      }
    }
    exponent -= fractionDigits;
  }

  if (i < end) {
    // parse_exponent: an i32 that stops at overflow; then a non-zero significand with a positive exponent is
    // out of range and anything else is ±0.0 (parse_exponent_overflow). The sum saturates.
    i++;
    const positiveExp = lexeme[i] !== '-';
    if (lexeme[i] === '+' || lexeme[i] === '-') i++;
    let exp = 0;
    for (let d = digitAt(i); d >= 0; d = digitAt(++i)) {
      if (exp > Math.floor(I32_MAX / 10) || (exp === Math.floor(I32_MAX / 10) && d > I32_MAX % 10)) {
        if (significand !== 0n && positiveExp) return undefined;
        return { kind: 'f64', value: positive ? 0 : -0 };
      }
      exp = exp * 10 + d;
    }
    exponent = saturateI32(positiveExp ? exponent + exp : exponent - exp);
  }
  return f64(f64FromParts(positive, significand, exponent));
}

function f64(value: number | undefined): SerdeNumber | undefined {
  return value === undefined ? undefined : { kind: 'f64', value };
}

/**
 * Writes a finite f64 the way serde_json 1.0 (up to 1.0.146, which used ryu) does: ryu's shortest round-trip
 * digits laid out by ryu's `format64` (ryu src/pretty/mod.rs). With the digits d₁…dₙ and the decimal exponent
 * kk such that 10^(kk−1) ≤ |v| < 10^kk:
 * - `0 ≤ kk − n` and `kk ≤ 16`: an integer with `.0` — `2.0`, `1000000000000000.0` (1e15), `9007199254740992.0`;
 * - `0 < kk ≤ 16`: a plain decimal — `1.5`, `123.456`;
 * - `−5 < kk ≤ 0`: `0.` and leading zeros — `0.1`, `0.00001` (1e-5);
 * - otherwise exponent form, no `+`, no leading zeros in the exponent, and no `.0` for one digit —
 *   `1e16`, `1e21`, `1e-7`, `1.5e300`, `1.2345678901234567e20`, `5e-324`.
 * Zero is `0.0` or `-0.0`. JavaScript's `toExponential()` (no argument) yields the same digits as ryu: the
 * shortest that round-trip, the closest of those to the value, ties to even (ECMA-262 Number::toString).
 * serde_json ≥ 1.0.147 switched to the zmij crate, which writes `1e+21`; the Rust reference's vectors
 * (`1e21`) pin the ryu layout.
 */
export function formatF64(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, exp] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const length = digits.length;
  const kk = Number(exp) + 1;
  if (kk - length >= 0 && kk <= 16) return `${sign}${digits}${'0'.repeat(kk - length)}.0`;
  if (kk > 0 && kk <= 16) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > -5 && kk <= 0) return `${sign}0.${'0'.repeat(-kk)}${digits}`;
  const fraction = length === 1 ? '' : `.${digits.slice(1)}`;
  return `${sign}${digits[0]}${fraction}e${kk - 1}`;
}

/** Writes a SerdeNumber as serde_json does: integers with itoa (exact), floats with `formatF64`. */
export function formatSerdeNumber(n: SerdeNumber): string {
  return n.kind === 'f64' ? formatF64(n.value) : n.value.toString();
}

/** The canonical form of one number lexeme, or undefined when serde_json reports "number out of range". */
export function canonicalNumber(lexeme: string): string | undefined {
  const n = parseSerdeNumber(lexeme);
  return n === undefined ? undefined : formatSerdeNumber(n);
}

const ESCAPES: Readonly<Record<number, string>> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  12: '\\f',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

/** A JSON string literal as serde_json's `format_escaped_str` writes it. */
export function quoteString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i) + (ESCAPES[c] ?? `\\u00${c.toString(16).padStart(2, '0')}`);
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

const LONE_SURROGATE = /\p{Cs}/u;
const utf8 = new TextEncoder();

function invalid(source: string | undefined, at: string, message: string, hint?: string): AurionError {
  const where = `${source === undefined ? '' : ` in ${source}`}${at === '' ? '' : ` at ${at}`}`;
  return new AurionError('CONFIG_INVALID', `invalid JSON${where}: ${message}`, {
    hint: hint ?? 'pass a single JSON value (object, array, string, number, true, false or null)',
  });
}

/**
 * The canonical JSON of an already parsed tree. Object members may repeat (parseJsonNode with
 * `duplicateKeys: 'keep'`): the last one wins, but every value is still checked, as serde_json parses them all.
 * Throws CONFIG_INVALID for what serde_json could not hold: numbers out of f64 range, invalid number lexemes,
 * lone surrogates (a Rust String is UTF-8) and nesting deeper than 127 levels.
 */
export function canonicalJsonNode(node: JsonNode, options: CanonicalJsonOptions = {}): string {
  const checkString = (s: string, at: string) => {
    if (LONE_SURROGATE.test(s)) throw invalid(options.source, at, 'string holds a lone surrogate, not UTF-8');
  };
  const write = (n: JsonNode, at: string, depth: number): string => {
    switch (n.kind) {
      case 'null':
        return 'null';
      case 'boolean':
        return n.value ? 'true' : 'false';
      case 'string':
        checkString(n.value, at);
        return quoteString(n.value);
      case 'number': {
        let text: string | undefined;
        try {
          text = canonicalNumber(n.lexeme);
        } catch {
          throw invalid(options.source, at, `${JSON.stringify(n.lexeme)} is not a JSON number`);
        }
        if (text === undefined) {
          throw invalid(
            options.source,
            at,
            `number out of range: ${n.lexeme} does not fit an f64 (serde_json refuses it too)`,
            'write a number whose magnitude is below 1.8e308, or pass it as a string',
          );
        }
        return text;
      }
      case 'array': {
        if (depth >= MAX_DEPTH) throw invalid(options.source, at, `nesting deeper than ${MAX_DEPTH} levels`);
        return `[${n.items.map((item, i) => write(item, `${at}/${i}`, depth + 1)).join(',')}]`;
      }
      case 'object': {
        if (depth >= MAX_DEPTH) throw invalid(options.source, at, `nesting deeper than ${MAX_DEPTH} levels`);
        const members = new Map<string, string>();
        for (const [key, value] of n.entries) {
          const keyAt = `${at}/${pointerToken(key)}`;
          checkString(key, keyAt);
          members.set(key, write(value, keyAt, depth + 1));
        }
        // Byte order of the UTF-8 encoding = code point order = Rust's `Ord for String`.
        const keys = [...members.keys()]
          .map((key) => ({ key, bytes: utf8.encode(key) }))
          .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
        return `{${keys.map(({ key }) => `${quoteString(key)}:${members.get(key)!}`).join(',')}}`;
      }
    }
  };
  return write(node, '', 0);
}

/**
 * The canonical JSON of JSON text: what `serde_json::to_string(&serde_json::from_str::<Value>(text)?)` returns.
 * Rejects (CONFIG_INVALID) whatever serde_json's `from_str` rejects: syntax errors, a BOM, lone surrogate
 * escapes, unescaped control characters, trailing content, nesting deeper than 127, numbers out of range.
 * Duplicate keys are accepted and the last one wins, as in serde_json.
 */
export function canonicalJson(text: string, options: CanonicalJsonOptions = {}): string {
  let node: JsonNode;
  try {
    node = parseJsonNode(text, { duplicateKeys: 'keep', maxDepth: MAX_DEPTH });
  } catch (e) {
    if (e instanceof JsonParseError) throw invalid(options.source, e.pointer, e.message);
    throw e;
  }
  return canonicalJsonNode(node, options);
}
