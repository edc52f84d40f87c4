import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonParseError, parseJson, parseJsonNode } from '../../src/core/json.js';

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
    it(`rejects ${what}`, () => {
      assert.throws(
        () => parseJsonNode(text),
        (e: unknown) => {
          assert.ok(e instanceof JsonParseError);
          assert.match(e.message, message);
          if (pointer !== undefined) assert.equal(e.pointer, pointer);
          return true;
        },
      );
    });
  }

  it('limits nesting like serde_json (127 levels pass, 128 fail)', () => {
    assert.doesNotThrow(() => parseJsonNode(`${'['.repeat(127)}${']'.repeat(127)}`));
    assert.throws(() => parseJsonNode(`${'['.repeat(128)}${']'.repeat(128)}`), /nesting deeper/);
  });

  it('reports line and column', () => {
    assert.throws(() => parseJsonNode('{\n  "a": tru\n}'), /line 2, column 8/);
  });
});

describe('parseJson', () => {
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
