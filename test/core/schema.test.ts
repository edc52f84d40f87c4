import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readDocument, type SchemaValidator, schemaIssues } from '../../src/core/schema.js';
import { AurionError, EXIT_CODE_OF } from '../../src/errors.js';
import { bundleManifest } from '../../src/generated/validators.js';

const encode = (text: string) => new TextEncoder().encode(text);

describe('schemaIssues', () => {
  it('runs the full validator only when the quick one refuses, and reports its located problems', () => {
    assert.deepEqual(schemaIssues(bundleManifest, { schema_version: 1 }).slice(0, 1), [
      { at: '/capabilities', message: 'is required' },
    ]);
    let fullRan = false;
    const spy: SchemaValidator = {
      quick: () => true,
      full: Object.assign(
        () => {
          fullRan = true;
          return false;
        },
        { errors: null },
      ) as unknown as SchemaValidator['full'],
    };
    assert.deepEqual(schemaIssues(spy, {}), []);
    assert.equal(fullRan, false);
  });

  it('fails closed with INTERNAL (exit 4) when the two validators disagree', () => {
    const disagreeing: SchemaValidator = {
      quick: () => false,
      full: Object.assign(() => true, { errors: null }) as unknown as SchemaValidator['full'],
    };
    assert.throws(
      () => schemaIssues(disagreeing, {}),
      (e: unknown) => e instanceof AurionError && e.code === 'INTERNAL' && EXIT_CODE_OF[e.code] === 4,
    );
  });
});

describe('readDocument', () => {
  const cases: Array<[string, Uint8Array, { at: string; message: RegExp }]> = [
    [
      'a byte order mark',
      new Uint8Array([0xef, 0xbb, 0xbf, ...encode('{}')]),
      { at: '', message: /byte order mark/ },
    ],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), { at: '', message: /not valid UTF-8/ }],
    ['a repeated key', encode('{"a":{"b":1,"b":2}}'), { at: '/a/b', message: /duplicate key "b"/ }],
  ];
  for (const [what, bytes, expected] of cases) {
    it(`reports ${what} as one located problem`, () => {
      const { issues } = readDocument(bytes, bundleManifest);
      assert.equal(issues.length, 1);
      assert.equal(issues[0]!.at, expected.at);
      assert.match(issues[0]!.message, expected.message);
    });
  }
});
