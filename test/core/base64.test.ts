import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeStrictBase64, STANDARD_BASE64 } from '../../src/core/base64.js';

describe('decodeStrictBase64: one spelling per value', () => {
  it('decodes canonical padded base64', () => {
    assert.deepEqual(decodeStrictBase64('QQ=='), Buffer.from('A'));
    assert.deepEqual(decodeStrictBase64('QUI='), Buffer.from('AB'));
    assert.deepEqual(decodeStrictBase64('QUJD'), Buffer.from('ABC'));
    assert.deepEqual(decodeStrictBase64(''), Buffer.alloc(0));
  });

  it('refuses stray bits, missing padding, URL-safe letters, spaces and line breaks', () => {
    for (const text of ['QR==', 'QUJ=', 'QQ', 'QQ=', 'Q===', '-_8=', 'QU JD', 'QUJD\n', 'QUJD====']) {
      assert.equal(decodeStrictBase64(text), undefined, JSON.stringify(text));
    }
    // Stray bits are well-formed text all the same (PEM bodies are checked for the form only).
    assert.equal(STANDARD_BASE64.test('QR=='), true);
    assert.equal(STANDARD_BASE64.test('QQ'), false);
  });
});
