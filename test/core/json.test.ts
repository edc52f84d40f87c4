import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JsonParseError, parseJson, parseJsonNode, toPlain } from '../../src/core/json.js';

describe('parseJsonNode', () => {
  it('keeps number lexemes exactly', () => {
    const node = parseJsonNode('[9007199254740993, 2.0, -0.0, 1e21, 1E-7]');
    assert.equal(node.kind, 'array');
    assert.deepEqual(
      node.kind === 'array' ? node.items.map((n) => (n.kind === 'number' ? n.lexeme : '')) : [],
      ['9007199254740993', '2.0', '-0.0', '1e21', '1E-7'],
    );
  });

  it('keeps key order and decodes escapes and surrogate pairs', () => {
    assert.deepEqual(parseJsonNode('{"b":1,"a":"\\u00e9\\ud83d\\ude00\\n"}'), {
      kind: 'object',
      entries: [
        ['b', { kind: 'number', lexeme: '1' }],
        ['a', { kind: 'string', value: 'é😀\n' }],
      ],
    });
  });

  const rejected: Array<[string, string, RegExp, string?]> = [
    ['duplicate key', '{"a":1,"b":{"c":1,"c":2}}', /duplicate key "c"/, '/b/c'],
    ['duplicate key after escape decoding', '{"a":1,"\\u0061":2}', /duplicate key "a"/, '/a'],
    ['BOM', '\ufeff{}', /byte order mark/],
    ['trailing comma', '[1,]', /unexpected/],
    ['comment', '{} // x', /after the JSON value/],
    ['leading zero', '01', /invalid number|after the JSON value/],
    ['bare dot', '1.', /invalid number/],
    ['plus sign', '+1', /unexpected/],
    ['lone leading surrogate escape', '"\\ud800"', /lone leading surrogate/],
    ['lone trailing surrogate escape', '"\\udc00"', /lone trailing surrogate/],
    ['raw control character', '"a\u0001"', /control character/],
    ['bad escape', '"\\x"', /invalid escape/],
    ['single quotes', "{'a':1}", /expected a key string/],
    ['NaN', 'NaN', /unexpected/],
    ['empty input', '', /end of input/],
    ['second value', '{} {}', /after the JSON value/],
    ['unterminated string', '"abc', /unterminated string/],
  ];
  for (const [what, text, message, pointer] of rejected) {
    for (const [name, parse] of [
      ['parseJsonNode', parseJsonNode],
      ['parseJson', parseJson],
    ] as const) {
      it(`${name} rejects ${what}`, () => {
        assert.throws(
          () => parse(text),
          (e: unknown) => {
            assert.ok(e instanceof JsonParseError);
            assert.match(e.message, message);
            if (pointer !== undefined) assert.equal(e.pointer, pointer);
            return true;
          },
        );
      });
    }
  }

  it('escapes keys in the JSON pointer of an error (RFC 6901)', () => {
    assert.throws(
      () => parseJson('{"a/b":{"m~n":[1,{"x":1,"x":2}]}}'),
      (e: unknown) => e instanceof JsonParseError && e.pointer === '/a~1b/m~0n/1/x',
    );
  });

  it('limits nesting like serde_json (127 levels pass, 128 fail)', () => {
    assert.doesNotThrow(() => parseJsonNode(`${'['.repeat(127)}${']'.repeat(127)}`));
    assert.throws(() => parseJsonNode(`${'['.repeat(128)}${']'.repeat(128)}`), /nesting deeper/);
  });

  it('reports line and column', () => {
    assert.throws(() => parseJsonNode('{\n  "a": tru\n}'), /line 2, column 8/);
  });
});

describe('parseJson', () => {
  /** The reference: the strict parser's tree, converted. parseJson's native fast path must agree with it. */
  const reference = (text: string): { value: unknown } | { error: string } => {
    try {
      return { value: toPlain(parseJsonNode(text)) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const outcome = (text: string): { value: unknown } | { error: string } => {
    try {
      return { value: parseJson(text) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };

  /** JSON texts with random layout, then often spoiled: a repeated key, a surrogate escape, deep nesting, junk. */
  const texts = fc
    .tuple(
      fc.jsonValue({ maxDepth: 4 }),
      fc.constantFrom('', ' ', '\n', '\t', '\r\n  '),
      fc.nat(),
      fc.constantFrom(
        'none',
        'duplicate',
        'surrogate',
        'pair',
        'deep',
        'delete',
        'insert',
        'proto',
        'escaped-key',
      ),
      fc.string({ maxLength: 3, unit: 'binary' }),
    )
    .map(([value, ws, n, mutation, junk]) => {
      let text = JSON.stringify(value, null, ws.length === 0 ? undefined : ws).replace(/:/g, `${ws}:`);
      const keys = [...text.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)];
      const at = (k: number) => (text.length === 0 ? 0 : k % (text.length + 1));
      switch (mutation) {
        case 'duplicate': {
          const key = keys[n % Math.max(1, keys.length)];
          if (key !== undefined) text = text.replace(/\{/, `{${key[0]}0,`);
          break;
        }
        case 'surrogate':
          text = `[${text},"\\ud${(8 + (n % 8)).toString(16)}00"]`;
          break;
        case 'pair':
          text = `{"\\ud83d\\ude00":${text}}`;
          break;
        case 'deep': {
          const depth = 120 + (n % 16);
          text = `${'['.repeat(depth)}${text}${']'.repeat(depth)}`;
          break;
        }
        case 'delete':
          text = text.slice(0, at(n)) + text.slice(at(n) + 1);
          break;
        case 'insert':
          text = text.slice(0, at(n)) + junk + text.slice(at(n));
          break;
        case 'proto':
          text = `{"__proto__":${text},"a":{"__proto__":1,"\\u005f_proto__":2}}`;
          break;
        case 'escaped-key':
          text = `{"a\\"b":1,"a\\u0022b":2,"c\\\\":${text}}`;
          break;
      }
      return text;
    });

  it("the native fast path gives the strict parser's verdict: same value, or the same error", () => {
    fc.assert(
      fc.property(texts, (text) => {
        assert.deepStrictEqual(outcome(text), reference(text), JSON.stringify(text));
      }),
      { numRuns: 4000 },
    );
  });

  it('tells a repeated key from the same characters inside strings', () => {
    assert.deepEqual(parseJson('{"a":"\\"b\\":1","b":["x:",{"a":1}]}'), { a: '"b":1', b: ['x:', { a: 1 }] });
    assert.throws(() => parseJson('{"a":"x","b":{"y":1},"a" :2}'), /duplicate key "a"/);
    assert.throws(() => parseJson('{"a\\u0062":1,"ab":2}'), /duplicate key "ab"/);
  });

  it('never lets a "__proto__" key set the prototype', () => {
    const value = parseJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('parseJsonNode duplicateKeys option', () => {
  it("'keep' returns every member in text order, repeats included (the default still rejects)", () => {
    assert.deepEqual(parseJsonNode('{"a":1,"b":2,"a":3}', { duplicateKeys: 'keep' }), {
      kind: 'object',
      entries: [
        ['a', { kind: 'number', lexeme: '1' }],
        ['b', { kind: 'number', lexeme: '2' }],
        ['a', { kind: 'number', lexeme: '3' }],
      ],
    });
    assert.throws(() => parseJsonNode('{"a":1,"a":3}', { duplicateKeys: 'reject' }), /duplicate key "a"/);
  });
});
