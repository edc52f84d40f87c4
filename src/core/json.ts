/**
 * The project's one JSON reader. `JSON.parse` cannot serve: it silently keeps the last of duplicate keys
 * (parsers disagree on which wins, so SPEC §4 rejects duplicates) and it rounds numbers to f64 (the cache key
 * needs the exact lexeme of 9007199254740993). This parser is strict RFC 8259: no BOM, no comments, no
 * trailing commas, no lone surrogate escapes (serde_json refuses them too), a nesting limit like serde_json's.
 */

export type JsonNode =
  | { readonly kind: 'null' }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'number'; readonly lexeme: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<readonly [string, JsonNode]> };

export class JsonParseError extends Error {
  override readonly name = 'JsonParseError';
  constructor(
    message: string,
    /** Offset (UTF-16 code units) in the text. */
    readonly offset: number,
    /** JSON pointer of the value being parsed when the error occurred. */
    readonly pointer: string,
  ) {
    super(message);
  }
}

export interface ParseOptions {
  /**
   * Maximum nesting of arrays and objects. serde_json's default limit allows 127 levels: its Deserializer
   * starts with `remaining_depth: 128` and fails when entering an array or object brings it to 0
   * (serde_json src/de.rs, `check_recursion!`), so the 128th level is refused.
   */
  readonly maxDepth?: number;
  /**
   * `reject` (the default, SPEC §4): a repeated key is an error. `keep`: every member is kept in text order,
   * repeats included, and the caller decides — the cache key needs serde_json's "last one wins" (its `Map`
   * is a BTreeMap and `insert` replaces), see canonical-json.ts.
   */
  readonly duplicateKeys?: 'reject' | 'keep';
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Escapes a key for use in a JSON pointer (RFC 6901). */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Parses JSON text into a tree that keeps number lexemes and key order; rejects duplicate keys. */
export function parseJsonNode(text: string, options: ParseOptions = {}): JsonNode {
  const maxDepth = options.maxDepth ?? 127;
  const rejectDuplicates = options.duplicateKeys !== 'keep';
  let pos = 0;
  // Raw keys and indexes; escaped for the JSON pointer only when an error needs one.
  const path: string[] = [];
  const pointer = () => path.map((key) => `/${pointerToken(key)}`).join('');

  const where = (at: number) => {
    let line = 1;
    let col = 1;
    for (let i = 0; i < at && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    return `line ${line}, column ${col}`;
  };
  const fail = (message: string, at = pos): never => {
    throw new JsonParseError(`${message} at ${where(at)}`, at, pointer());
  };
  const skipWs = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const describe = (at: number) =>
    at >= text.length ? 'end of input' : `character ${JSON.stringify(text[at])}`;

  const parseString = (): string => {
    // caller saw the opening quote
    pos++;
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string (must be escaped)');
      if (c >= 0xd800 && c <= 0xdfff) {
        // Text came from a UTF-8 decoder, so surrogates are always paired here; keep the check for API callers.
        const next = text.charCodeAt(pos + 1);
        if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) fail('lone surrogate in string');
        pos += 2;
        continue;
      }
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const e = text[pos + 1];
      pos += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const unit = readHex4();
          if (unit >= 0xd800 && unit <= 0xdbff) {
            if (text[pos] !== '\\' || text[pos + 1] !== 'u') fail('lone leading surrogate in \\u escape');
            pos += 2;
            const low = readHex4();
            if (low < 0xdc00 || low > 0xdfff) fail('invalid trailing surrogate in \\u escape');
            out += String.fromCharCode(unit, low);
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            fail('lone trailing surrogate in \\u escape');
          } else {
            out += String.fromCharCode(unit);
          }
          break;
        }
        default:
          fail('invalid escape in string', pos - 1);
      }
      start = pos;
    }
  };
  const readHex4 = (): number => {
    const hex = text.slice(pos, pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
    pos += 4;
    return Number.parseInt(hex, 16);
  };

  const parseValue = (depth: number): JsonNode => {
    skipWs();
    const c = text[pos];
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      return c === '{' ? parseObject(depth + 1) : parseArray(depth + 1);
    }
    if (c === '"') return { kind: 'string', value: parseString() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = pos;
      const m = NUMBER.exec(text);
      if (m === null) return fail('invalid number');
      const next = text[pos + m[0].length];
      if (next !== undefined && /[0-9.eE+-]/.test(next)) fail('invalid number');
      pos += m[0].length;
      return { kind: 'number', lexeme: m[0] };
    }
    for (const [word, node] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return node;
      }
    }
    return fail(`unexpected ${describe(pos)}`);
  };
  const parseArray = (depth: number): JsonNode => {
    pos++;
    const items: JsonNode[] = [];
    skipWs();
    if (text[pos] === ']') {
      pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      path.push(String(items.length));
      items.push(parseValue(depth));
      path.pop();
      skipWs();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === ']') {
        pos++;
        return { kind: 'array', items };
      }
      fail(`expected ',' or ']' but found ${describe(pos)}`);
    }
  };
  const parseObject = (depth: number): JsonNode => {
    pos++;
    const entries: Array<readonly [string, JsonNode]> = [];
    const seen = new Set<string>();
    skipWs();
    if (text[pos] === '}') {
      pos++;
      return { kind: 'object', entries };
    }
    for (;;) {
      skipWs();
      if (text[pos] !== '"') fail(`expected a key string but found ${describe(pos)}`);
      const keyAt = pos;
      const key = parseString();
      if (rejectDuplicates && seen.has(key)) {
        path.push(key);
        fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
      }
      seen.add(key);
      skipWs();
      if (text[pos] !== ':') fail(`expected ':' but found ${describe(pos)}`);
      pos++;
      path.push(key);
      entries.push([key, parseValue(depth)]);
      path.pop();
      skipWs();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === '}') {
        pos++;
        return { kind: 'object', entries };
      }
      fail(`expected ',' or '}' but found ${describe(pos)}`);
    }
  };

  if (text.charCodeAt(0) === 0xfeff) fail('byte order mark before JSON text', 0);
  const root = parseValue(0);
  skipWs();
  if (pos < text.length) fail(`unexpected ${describe(pos)} after the JSON value`);
  return root;
}

const LITERALS: ReadonlyArray<readonly [string, JsonNode]> = [
  ['true', { kind: 'boolean', value: true }],
  ['false', { kind: 'boolean', value: false }],
  ['null', { kind: 'null' }],
];

/** Converts a tree to plain JavaScript values (numbers become f64; fine for schemas, not for cache keys). */
export function toPlain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'null':
      return null;
    case 'boolean':
    case 'string':
      return node.value;
    case 'number':
      return Number(node.lexeme);
    case 'array':
      return node.items.map(toPlain);
    case 'object': {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of node.entries) {
        // defineProperty, not assignment: a "__proto__" key must stay data, never set the prototype.
        Object.defineProperty(obj, k, {
          value: toPlain(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return obj;
    }
  }
}

/** Parses JSON text to plain values, with duplicate keys rejected. */
export function parseJson(text: string, options?: ParseOptions): unknown {
  if (options?.duplicateKeys !== 'keep') {
    const value = parseJsonNative(text, options?.maxDepth ?? 127);
    if (value !== UNDECIDED) return value;
  }
  return toPlain(parseJsonNode(text, options));
}

const UNDECIDED: unique symbol = Symbol('undecided');

/** A \u escape of a UTF-16 surrogate, or a lone surrogate in the text itself. */
const SURROGATES = /\\u[dD][89a-fA-F]|[\ud800-\udfff]/u;

/**
 * The fast way to the same answer as `toPlain(parseJsonNode(text))` for text that parseJsonNode accepts:
 * V8's native JSON.parse (RFC 8259's grammar exactly), then the three rules JSON.parse does not apply, checked
 * cheaply — no key repeated in an object (the keys JSON.parse kept must be as many as the key tokens in the
 * text), no surrogate escapes (the text is then left to parseJsonNode, which knows lone from paired), nesting
 * within maxDepth. Anything else, errors included, is UNDECIDED and goes to parseJsonNode, which gives the
 * verdict and its message. Small JSON files (manifests, envelopes) are read about ten times faster this way
 * (docs/performance.md); a test compares both paths on generated and mutated documents.
 */
function parseJsonNative(text: string, maxDepth: number): unknown {
  if (text.charCodeAt(0) === 0xfeff || SURROGATES.test(text)) return UNDECIDED;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return UNDECIDED;
  }
  const keptKeys = typeof value === 'object' && value !== null ? countKeys(value, 0, maxDepth) : 0;
  return keptKeys >= 0 && keptKeys === countKeyTokens(text) ? value : UNDECIDED;
}

/**
 * The key strings in valid JSON text: strings followed by optional whitespace and a colon. In valid JSON a
 * quote outside a string always opens one, and a string ends at the first quote not escaped by an odd run of
 * backslashes, so jumping from quote to quote finds exactly the strings.
 */
function countKeyTokens(text: string): number {
  let count = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = text.indexOf('"', open + 1);
    while (close !== -1 && text.charCodeAt(close - 1) === 0x5c && isEscaped(text, close)) {
      close = text.indexOf('"', close + 1);
    }
    if (close === -1) return -1;
    let next = close + 1;
    let c = text.charCodeAt(next);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++next);
    if (c === 0x3a) count++;
    open = text.indexOf('"', next);
  }
  return count;
}

/** Whether the character at `at` follows an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let before = at - 1;
  while (before >= 0 && text.charCodeAt(before) === 0x5c) before--;
  return (at - 1 - before) % 2 === 1;
}

/**
 * Keys of every object in a JSON.parse result; -1 when nesting exceeds maxDepth. Walks without building arrays
 * of keys or values (a large index.json has 10,000 objects; docs/performance.md, P9); own keys only, so a
 * property someone added to Object.prototype is never counted.
 */
function countKeys(value: object, depth: number, maxDepth: number): number {
  if (depth >= maxDepth) return -1;
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v !== 'object' || v === null) continue;
      const inner = countKeys(v, depth + 1, maxDepth);
      if (inner < 0) return -1;
      count += inner;
    }
    return count;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    count++;
    const v = record[key];
    if (typeof v !== 'object' || v === null) continue;
    const inner = countKeys(v, depth + 1, maxDepth);
    if (inner < 0) return -1;
    count += inner;
  }
  return count;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes strict UTF-8 (invalid sequences throw a TypeError); a BOM is kept so callers can reject it. */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
