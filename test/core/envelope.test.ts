import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as noble from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  createEnvelope,
  type Envelope,
  envelopeSignatures,
  manifestDigest,
  parseEnvelope,
  type SignedContent,
  serializeEnvelope,
  subjectOf,
} from '../../src/core/envelope.js';
import { generateEd25519KeyPair, loadPrivateKey } from '../../src/core/keys.js';
import type { Manifest } from '../../src/core/types.js';
import { sha256 } from '../fixtures/digest.js';
import { containerManifestValue, IMAGE_DIGEST, manifestValue } from '../fixtures/manifests.js';
import { expectAurionError } from '../helpers.js';

noble.hashes.sha512 = sha512;

const MODULE_SHA = sha256(Buffer.from('module bytes'));

const wasmManifest = manifestValue({ module: { path: 'module.wasm', sha256: MODULE_SHA, size: 12 } });
const containerManifest = containerManifestValue() as unknown as Manifest;

const wasmBundle: SignedContent = {
  manifestBytes: new TextEncoder().encode(JSON.stringify(wasmManifest)),
  manifest: wasmManifest,
  module: { sha256: MODULE_SHA },
};
const containerBundle: SignedContent = {
  manifestBytes: new TextEncoder().encode(JSON.stringify(containerManifest)),
  manifest: containerManifest,
};

const pair = generateEd25519KeyPair();
const key = loadPrivateKey(pair.privatePem, undefined, 'test.key');

describe('subjectOf', () => {
  it('is the module digest for wasm bundles and the pinned image digest for container bundles', () => {
    assert.deepEqual(subjectOf(wasmBundle), { kind: 'wasm-module', sha256: MODULE_SHA });
    assert.deepEqual(subjectOf(containerBundle), { kind: 'container-image', sha256: IMAGE_DIGEST });
  });

  it('refuses a wasm bundle without module data', async () => {
    await expectAurionError(
      () => subjectOf({ ...wasmBundle, module: undefined } as SignedContent),
      'BUNDLE_INVALID',
    );
  });
});

describe('createEnvelope', () => {
  it('signs the raw subject digest and the raw manifest digest; noble verifies both', () => {
    for (const bundle of [wasmBundle, containerBundle]) {
      const bytes = createEnvelope(key, bundle);
      const envelope = parseEnvelope(bytes, 'signature.ed25519');
      assert.equal(envelope.key_id, pair.keyId);
      assert.equal(envelope.manifest_sha256, sha256(bundle.manifestBytes));
      assert.equal(envelope.manifest_sha256, manifestDigest(bundle));
      const { signature, manifestSignature } = envelopeSignatures(envelope);
      const raw = key.publicKey.raw;
      const opts = { zip215: false };
      assert.ok(noble.verify(signature, Buffer.from(envelope.subject.sha256, 'hex'), raw, opts));
      assert.ok(noble.verify(manifestSignature, Buffer.from(envelope.manifest_sha256, 'hex'), raw, opts));
      // Over the 32 raw bytes, not the hex text.
      assert.ok(!noble.verify(signature, new TextEncoder().encode(envelope.subject.sha256), raw, opts));
    }
  });

  it('is deterministic, with a fixed key order, two-space indent and a final newline', () => {
    const a = createEnvelope(key, wasmBundle);
    const b = createEnvelope(key, wasmBundle);
    assert.deepEqual(a, b);
    const text = new TextDecoder().decode(a);
    assert.ok(text.endsWith('}\n'));
    assert.deepEqual(Object.keys(JSON.parse(text)), [
      'schema_version',
      'algorithm',
      'key_id',
      'subject',
      'signature',
      'manifest_sha256',
      'manifest_signature',
    ]);
    assert.match(text, /^\{\n {2}"schema_version": 1,\n {2}"algorithm": "ed25519",/);
    const envelope = parseEnvelope(a, 'x');
    const shuffled = {
      ...envelope,
      subject: { sha256: envelope.subject.sha256, kind: envelope.subject.kind },
    };
    assert.deepEqual(serializeEnvelope(shuffled as Envelope), a);
  });

  it('a changed manifest changes manifest_signature, not signature', () => {
    const changed = {
      ...wasmBundle,
      manifestBytes: new TextEncoder().encode(`${JSON.stringify(wasmManifest)} `),
    };
    const a = parseEnvelope(createEnvelope(key, wasmBundle), 'a');
    const b = parseEnvelope(createEnvelope(key, changed), 'b');
    assert.equal(a.signature, b.signature);
    assert.notEqual(a.manifest_signature, b.manifest_signature);
  });
});

describe('parseEnvelope: anything malformed is SIGNATURE_INVALID', () => {
  const good = JSON.parse(new TextDecoder().decode(createEnvelope(key, wasmBundle))) as Record<
    string,
    unknown
  >;
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const sig64 = Buffer.alloc(64, 7).toString('base64');

  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
    ['a BOM', new Uint8Array([0xef, 0xbb, 0xbf, ...encode(good)]), /byte order mark/],
    ['not JSON', new TextEncoder().encode('{"schema_version": 1,'), /line 1/],
    [
      'a duplicate key',
      new TextEncoder().encode(JSON.stringify(good).replace('{', `{"key_id":"${'0'.repeat(16)}",`)),
      /duplicate key "key_id"/,
    ],
    [
      'a missing field',
      encode({ ...good, manifest_signature: undefined }),
      /\/manifest_signature is required/,
    ],
    ['an unknown field', encode({ ...good, comment: 'hi' }), /\/comment is not a known property/],
    ['another algorithm', encode({ ...good, algorithm: 'ecdsa' }), /\/algorithm/],
    ['schema_version 2', encode({ ...good, schema_version: 2 }), /\/schema_version/],
    ['an uppercase key id', encode({ ...good, key_id: 'ABCDEF0123456789' }), /\/key_id/],
    ['a short key id', encode({ ...good, key_id: 'abcdef' }), /\/key_id/],
    [
      'a wrong subject kind',
      encode({ ...good, subject: { kind: 'npm', sha256: MODULE_SHA } }),
      /\/subject\/kind/,
    ],
    ['a short digest', encode({ ...good, manifest_sha256: 'ab'.repeat(31) }), /\/manifest_sha256/],
    [
      '63 signature bytes',
      encode({ ...good, signature: Buffer.alloc(63).toString('base64') }),
      /\/signature/,
    ],
    [
      '65 signature bytes',
      encode({ ...good, signature: Buffer.alloc(65).toString('base64') }),
      /\/signature/,
    ],
    ['base64 without padding', encode({ ...good, signature: sig64.replace(/=+$/, '') }), /\/signature/],
    // "Bw==" and "Bx==" decode to the same byte: only the form with zero spare bits is canonical.
    ['non-canonical base64', encode({ ...good, signature: sig64.replace(/w==$/, 'x==') }), /\/signature/],
    [
      'URL-safe base64',
      encode({ ...good, manifest_signature: '-'.repeat(85) + 'A==' }),
      /\/manifest_signature/,
    ],
    ['an array', encode([good]), /must be object/],
  ];
  for (const [what, bytes, expected] of cases) {
    it(what, async () => {
      const e = await expectAurionError(
        () => parseEnvelope(bytes, 'b.aurion:signature.ed25519'),
        'SIGNATURE_INVALID',
      );
      const text = [e.message, ...e.issues.map((i) => `${i.at} ${i.message}`)].join('\n');
      assert.match(text, expected);
      assert.match(e.message, /b\.aurion:signature\.ed25519/);
    });
  }

  it('the canonical-base64 check is exact: the 4 canonical final characters pass, the others fail', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const passed: string[] = [];
    for (const c of alphabet) {
      const signature = `${sig64.slice(0, 85)}${c}==`;
      try {
        parseEnvelope(encode({ ...good, signature }), 'x');
        passed.push(c);
      } catch {
        // refused
      }
    }
    assert.deepEqual(passed, ['A', 'Q', 'g', 'w']);
  });
});
