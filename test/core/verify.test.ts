import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generatePgpKeyPair, loadPgpPrivateKey } from '../../src/core/pgp/keys.js';
import { signDetached } from '../../src/core/pgp/sign.js';
import {
  parseTrustPolicy,
  type TrustPolicy,
  trustedKeyFromPem,
  trustFromPgpKeyring,
} from '../../src/core/policy.js';
import { exitCodeOf, type VerifyResult } from '../../src/core/verify.js';
import { verifyBundle, verifyBundles } from '../../src/ops/verify.js';
import { signedWasmBundle, writeBundleFile } from '../fixtures/bundles.js';
import { sha256 } from '../fixtures/digest.js';
import { ed25519Key, envelopeBytes, envelopeObject, type TestKey } from '../fixtures/keys.js';
import { containerManifest, IMAGE_DIGEST, wasmManifest } from '../fixtures/manifests.js';
import { TINY_WASM } from '../fixtures/modules.js';
import { tempDir } from '../helpers.js';

const alice = ed25519Key();
const bob = ed25519Key();

function trustOf(...keys: TestKey[]): TrustPolicy {
  return {
    keys: keys.map((k) => trustedKeyFromPem(k.publicPem, `${k.keyId}.pub`)),
    pgpKeys: [],
    revoked: new Set(),
    riskClassOverrides: new Map(),
  };
}

async function policyOf(doc: Record<string, unknown>): Promise<TrustPolicy> {
  return parseTrustPolicy(Buffer.from(JSON.stringify({ schema_version: 1, ...doc })), {
    source: 'policy.json',
    readKeyFile: async () => {
      throw new Error('no key files in these tests');
    },
  });
}

const codes = (r: VerifyResult) => r.errors.map((e) => e.code).sort();

/** Flips the lowest bit of the byte at `offset`. */
function flip(bytes: Uint8Array, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset]! ^= 0x01;
  return copy;
}

/** The group order of Ed25519. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** A signature with S replaced by S + L: the same equation holds, but S is not canonical (RFC 8032 §5.1.7). */
function nonCanonicalS(signatureB64: string): string {
  const sig = Buffer.from(signatureB64, 'base64');
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += L;
  assert.ok(s < 2n ** 256n);
  for (let i = 32; i < 64; i++) {
    sig[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return sig.toString('base64');
}

describe('verifyBundle: signed wasm bundles', () => {
  it('passes a bundle signed by a trusted key, with the report SPEC §7 describes', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, alice);
    const r = await verifyBundle(path, trustOf(alice));
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    assert.deepEqual(r.errors, []);
    assert.equal(r.bundle, path);
    assert.deepEqual(r.plugin, {
      name: 'dns-enum',
      version: '1.2.0',
      risk_class: 'Low',
      effective_risk_class: 'Low',
      capabilities: ['PassiveEnum'],
      runtime: 'wasm',
    });
    assert.deepEqual(r.signer, { algorithm: 'ed25519', key_id: alice.keyId });
    assert.equal(r.signatures.length, 1);
    assert.equal(r.signatures[0]!.ok, true);
    assert.equal(exitCodeOf([r]), 0);
  });

  it('an unsigned bundle is UNSIGNED', async (t) => {
    const dir = await tempDir(t);
    const path = await writeBundleFile(join(dir, 'u.aurion'), {
      manifest: wasmManifest(TINY_WASM),
      module: TINY_WASM,
    });
    const r = await verifyBundle(path, trustOf(alice));
    assert.deepEqual(codes(r), ['UNSIGNED']);
    assert.equal(r.signer, null);
    assert.equal(exitCodeOf([r]), 1);
  });

  it('a flipped module byte is DIGEST_MISMATCH', async (t) => {
    const dir = await tempDir(t);
    const manifest = wasmManifest(TINY_WASM);
    const ed25519 = envelopeBytes(alice, {
      kind: 'wasm-module',
      subjectSha256: sha256(TINY_WASM),
      manifestBytes: manifest,
    });
    // The last byte is in a custom section: the module stays valid WebAssembly, only its digest changes.
    const path = await writeBundleFile(join(dir, 'b.aurion'), {
      manifest,
      module: flip(TINY_WASM, TINY_WASM.length - 1),
      ed25519,
    });
    const r = await verifyBundle(path, trustOf(alice));
    assert.equal(r.ok, false);
    assert.ok(codes(r).includes('DIGEST_MISMATCH'), JSON.stringify(r.errors));
    assert.equal(exitCodeOf([r]), 1);
  });

  it('a module swapped together with its manifest digest is caught by the signatures', async (t) => {
    const dir = await tempDir(t);
    const original = wasmManifest(TINY_WASM);
    const ed25519 = envelopeBytes(alice, {
      kind: 'wasm-module',
      subjectSha256: sha256(TINY_WASM),
      manifestBytes: original,
    });
    const evil = flip(TINY_WASM, TINY_WASM.length - 1);
    const path = await writeBundleFile(join(dir, 'b.aurion'), {
      manifest: wasmManifest(evil),
      module: evil,
      ed25519,
    });
    const r = await verifyBundle(path, trustOf(alice));
    assert.deepEqual(codes(r), ['DIGEST_MISMATCH', 'DIGEST_MISMATCH']);
    assert.match(r.errors.map((e) => e.message).join('\n'), /module changed after signing/);
    assert.match(r.errors.map((e) => e.message).join('\n'), /manifest changed after signing/);
  });

  it('a manifest edited after signing (risk-class downgrade) is DIGEST_MISMATCH', async (t) => {
    const dir = await tempDir(t);
    const signedManifest = wasmManifest(TINY_WASM, { capabilities: ['PortScan'] });
    const ed25519 = envelopeBytes(alice, {
      kind: 'wasm-module',
      subjectSha256: sha256(TINY_WASM),
      manifestBytes: signedManifest,
    });
    const downgraded = wasmManifest(TINY_WASM, { capabilities: ['PassiveEnum'] });
    const path = await writeBundleFile(join(dir, 'b.aurion'), {
      manifest: downgraded,
      module: TINY_WASM,
      ed25519,
    });
    const r = await verifyBundle(
      path,
      await policyOf({ keys: [{ key_id: alice.keyId, public_key: alice.publicPem, max_risk_class: 'Low' }] }),
    );
    assert.deepEqual(codes(r), ['DIGEST_MISMATCH']);
    assert.equal(r.plugin?.risk_class, 'Low');
  });

  it('a manifest digest recomputed without the key is SIGNATURE_INVALID', async (t) => {
    const dir = await tempDir(t);
    const signedManifest = wasmManifest(TINY_WASM, { capabilities: ['PortScan'] });
    const envelope = envelopeObject(alice, {
      kind: 'wasm-module',
      subjectSha256: sha256(TINY_WASM),
      manifestBytes: signedManifest,
    });
    const edited = wasmManifest(TINY_WASM, { capabilities: ['PassiveEnum'] });
    envelope['manifest_sha256'] = sha256(edited);
    const path = await writeBundleFile(join(dir, 'b.aurion'), {
      manifest: edited,
      module: TINY_WASM,
      ed25519: Buffer.from(JSON.stringify(envelope)),
    });
    const r = await verifyBundle(path, trustOf(alice));
    assert.deepEqual(codes(r), ['SIGNATURE_INVALID']);
    assert.match(r.errors[0]!.message, /manifest signature does not verify/);
  });

  it("a trusted key id on another key's signature is SIGNATURE_INVALID", async (t) => {
    const dir = await tempDir(t);
    const manifest = wasmManifest(TINY_WASM);
    const ed25519 = envelopeBytes(bob, {
      kind: 'wasm-module',
      subjectSha256: sha256(TINY_WASM),
      manifestBytes: manifest,
      keyId: alice.keyId,
    });
    const path = await writeBundleFile(join(dir, 'b.aurion'), { manifest, module: TINY_WASM, ed25519 });
    const r = await verifyBundle(path, trustOf(alice));
    assert.deepEqual(codes(r), ['SIGNATURE_INVALID', 'SIGNATURE_INVALID']);
    assert.equal(r.signer, null);
  });

  for (const field of ['signature', 'manifest_signature'] as const) {
    it(`a non-canonical S in ${field} is SIGNATURE_INVALID`, async (t) => {
      const dir = await tempDir(t);
      const manifest = wasmManifest(TINY_WASM);
      const envelope = envelopeObject(alice, {
        kind: 'wasm-module',
        subjectSha256: sha256(TINY_WASM),
        manifestBytes: manifest,
      });
      envelope[field] = nonCanonicalS(envelope[field] as string);
      const path = await writeBundleFile(join(dir, 'b.aurion'), {
        manifest,
        module: TINY_WASM,
        ed25519: Buffer.from(JSON.stringify(envelope)),
      });
      const r = await verifyBundle(path, trustOf(alice));
      assert.deepEqual(codes(r), ['SIGNATURE_INVALID']);
    });
  }

  const broken: Array<[string, (envelope: Record<string, unknown>, bytes: Buffer) => Buffer]> = [
    ['a truncated envelope', (_e, bytes) => bytes.subarray(0, bytes.length >> 1)],
    ['a garbage envelope', () => Buffer.from([0xff, 0x00, 0x13, 0x37])],
    ['an empty envelope', () => Buffer.alloc(0)],
    ['a JSON array', () => Buffer.from('[]')],
    [
      'a signature of 63 bytes',
      (e) => Buffer.from(JSON.stringify({ ...e, signature: Buffer.alloc(63, 7).toString('base64') })),
    ],
    [
      'a signature of 65 bytes',
      (e) => Buffer.from(JSON.stringify({ ...e, signature: Buffer.alloc(65, 7).toString('base64') })),
    ],
    [
      'a manifest signature of 32 bytes',
      (e) =>
        Buffer.from(JSON.stringify({ ...e, manifest_signature: Buffer.alloc(32, 7).toString('base64') })),
    ],
    ['a key id of 15 hex digits', (e) => Buffer.from(JSON.stringify({ ...e, key_id: alice.keyId.slice(1) }))],
    [
      'a manifest digest of 63 hex digits',
      (e) => Buffer.from(JSON.stringify({ ...e, manifest_sha256: 'a'.repeat(63) })),
    ],
    ['an unknown algorithm', (e) => Buffer.from(JSON.stringify({ ...e, algorithm: 'ed448' }))],
    [
      'a duplicate key',
      (_e, bytes) => Buffer.from(`{"key_id":"${alice.keyId}",${bytes.toString('utf8').trim().slice(1)}`),
    ],
  ];
  for (const [what, mutate] of broken) {
    it(`${what} is SIGNATURE_INVALID`, async (t) => {
      const dir = await tempDir(t);
      const manifest = wasmManifest(TINY_WASM);
      const parts = {
        kind: 'wasm-module' as const,
        subjectSha256: sha256(TINY_WASM),
        manifestBytes: manifest,
      };
      const ed25519 = mutate(envelopeObject(alice, parts), envelopeBytes(alice, parts));
      const path = await writeBundleFile(join(dir, 'b.aurion'), { manifest, module: TINY_WASM, ed25519 });
      const r = await verifyBundle(path, trustOf(alice));
      assert.deepEqual(codes(r), ['SIGNATURE_INVALID'], JSON.stringify(r.errors));
      assert.equal(exitCodeOf([r]), 1);
    });
  }

  it('a signature by a key not in the trust material is KEY_UNTRUSTED', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, bob);
    const r = await verifyBundle(path, trustOf(alice));
    assert.deepEqual(codes(r), ['KEY_UNTRUSTED']);
    assert.ok(r.errors[0]!.message.includes(bob.keyId));
  });
});

describe('verifyBundle: trust policy rules on a valid signature', () => {
  const entry = (rules: Record<string, unknown> = {}) => ({
    key_id: alice.keyId,
    public_key: alice.publicPem,
    ...rules,
  });
  const cases: Array<[string, Record<string, unknown>, string[], Record<string, unknown>?]> = [
    [
      'a key within every rule',
      { keys: [entry({ max_risk_class: 'Low', plugins: ['dns-*'], expires: '2999-01-01T00:00:00Z' })] },
      [],
    ],
    ['a revoked key', { keys: [entry()], revoked: [alice.keyId] }, ['KEY_REVOKED']],
    [
      'a revoked key that is no longer listed',
      { keys: [], revoked: [alice.keyId.toUpperCase()] },
      ['KEY_REVOKED'],
    ],
    ['another key revoked', { keys: [entry()], revoked: [bob.keyId] }, []],
    ['an expired key', { keys: [entry({ expires: '2001-01-01T00:00:00Z' })] }, ['KEY_EXPIRED']],
    [
      'a plugin name outside the globs',
      { keys: [entry({ plugins: ['port-*', 'dns-enum?'] })] },
      ['KEY_UNTRUSTED'],
    ],
    ['a plugin name inside the globs', { keys: [entry({ plugins: ['port-*', 'dns-e?um'] })] }, []],
    [
      'a risk class above the key',
      { keys: [entry({ max_risk_class: 'Low' })] },
      ['RISK_NOT_ALLOWED'],
      { capabilities: ['PortScan'] },
    ],
    [
      'a risk class at the key',
      { keys: [entry({ max_risk_class: 'Medium' })] },
      [],
      { capabilities: ['PortScan'] },
    ],
    [
      'an override raising the class above the key',
      { keys: [entry({ max_risk_class: 'Medium' })], risk_class_overrides: { 'dns-enum': 'High' } },
      ['RISK_NOT_ALLOWED'],
    ],
    [
      'an override lowering the class to the key',
      { keys: [entry({ max_risk_class: 'Low' })], risk_class_overrides: { 'dns-enum': 'Low' } },
      [],
      { capabilities: ['Fuzz'] },
    ],
    [
      'every rule broken at once',
      {
        keys: [entry({ max_risk_class: 'Low', plugins: ['x*'], expires: '2001-01-01T00:00:00Z' })],
        revoked: [alice.keyId],
      },
      ['KEY_EXPIRED', 'KEY_REVOKED', 'KEY_UNTRUSTED', 'RISK_NOT_ALLOWED'],
      { capabilities: ['PortScan'] },
    ],
  ];
  for (const [what, policy, expected, fields] of cases) {
    it(`${what}: ${expected.length === 0 ? 'passes' : expected.join(', ')}`, async (t) => {
      const dir = await tempDir(t);
      const { path } = await signedWasmBundle(dir, alice, fields === undefined ? {} : { fields });
      const r = await verifyBundle(path, await policyOf(policy));
      assert.deepEqual(codes(r), expected, JSON.stringify(r.errors));
      assert.equal(r.ok, expected.length === 0);
    });
  }

  it('reports the effective risk class next to the manifest one', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, alice);
    const r = await verifyBundle(
      path,
      await policyOf({ keys: [entry()], risk_class_overrides: { 'dns-enum': 'High' } }),
    );
    assert.equal(r.ok, true);
    assert.equal(r.plugin?.risk_class, 'Low');
    assert.equal(r.plugin?.effective_risk_class, 'High');
  });

  it('judges expiry at the given instant', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, alice);
    const trust = await policyOf({ keys: [entry({ expires: '2030-01-01T00:00:00Z' })] });
    assert.equal((await verifyBundle(path, trust, { now: new Date('2029-12-31T23:59:59Z') })).ok, true);
    assert.deepEqual(codes(await verifyBundle(path, trust, { now: new Date('2030-01-01T00:00:00Z') })), [
      'KEY_EXPIRED',
    ]);
  });

  it('collects tampering and policy problems together', async (t) => {
    const dir = await tempDir(t);
    const manifest = wasmManifest(TINY_WASM);
    const ed25519 = envelopeBytes(alice, {
      kind: 'wasm-module',
      subjectSha256: sha256(TINY_WASM),
      manifestBytes: manifest,
    });
    const path = await writeBundleFile(join(dir, 'b.aurion'), {
      manifest,
      module: flip(TINY_WASM, TINY_WASM.length - 2),
      ed25519,
    });
    const r = await verifyBundle(path, await policyOf({ keys: [entry()], revoked: [alice.keyId] }));
    // The module differs both from the manifest's digest and from the signed subject: two findings.
    assert.deepEqual(codes(r), ['DIGEST_MISMATCH', 'DIGEST_MISMATCH', 'KEY_REVOKED']);
  });
});

describe('verifyBundle: container bundles', () => {
  const imageSubject = { kind: 'container-image' as const, subjectSha256: IMAGE_DIGEST };

  it('passes an Ed25519 signature over the image digest', async (t) => {
    const dir = await tempDir(t);
    const manifest = containerManifest();
    const path = await writeBundleFile(join(dir, 'c.aurion'), {
      manifest,
      ed25519: envelopeBytes(alice, { ...imageSubject, manifestBytes: manifest }),
    });
    const r = await verifyBundle(path, trustOf(alice));
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    assert.equal(r.plugin?.runtime, 'container');
  });

  it('an envelope for another image digest is DIGEST_MISMATCH', async (t) => {
    const dir = await tempDir(t);
    const manifest = containerManifest();
    const ed25519 = envelopeBytes(alice, {
      kind: 'container-image',
      subjectSha256: 'b'.repeat(64),
      manifestBytes: manifest,
    });
    const r = await verifyBundle(
      await writeBundleFile(join(dir, 'c.aurion'), { manifest, ed25519 }),
      trustOf(alice),
    );
    assert.deepEqual(codes(r), ['DIGEST_MISMATCH']);
  });

  it('an envelope whose subject is a wasm module is SIGNATURE_INVALID on a container bundle', async (t) => {
    const dir = await tempDir(t);
    const manifest = containerManifest();
    const ed25519 = envelopeBytes(alice, {
      kind: 'wasm-module',
      subjectSha256: IMAGE_DIGEST,
      manifestBytes: manifest,
    });
    const r = await verifyBundle(
      await writeBundleFile(join(dir, 'c.aurion'), { manifest, ed25519 }),
      trustOf(alice),
    );
    assert.deepEqual(codes(r), ['SIGNATURE_INVALID']);
  });

  describe('with OpenPGP', () => {
    const pgpKeys = (async () => {
      const ops = await generatePgpKeyPair('Ops <ops@example.org>');
      const other = await generatePgpKeyPair('Other <other@example.org>');
      return { ops, other };
    })();
    const ascOf = async (armoredPrivate: string, data: Uint8Array) =>
      Buffer.from(await signDetached(await loadPgpPrivateKey(armoredPrivate, undefined, 'k'), data));
    const pgpTrust = async (armored: string, extra: Partial<TrustPolicy> = {}): Promise<TrustPolicy> => ({
      ...(await trustFromPgpKeyring(armored, 'ops.asc')),
      ...extra,
    });

    it('passes a detached signature by a trusted key; signer is the fingerprint', async (t) => {
      const { ops } = await pgpKeys;
      const dir = await tempDir(t);
      const manifest = containerManifest();
      const path = await writeBundleFile(join(dir, 'c.aurion'), {
        manifest,
        asc: await ascOf(ops.privateArmored, manifest),
      });
      const r = await verifyBundle(path, await pgpTrust(ops.publicArmored));
      assert.equal(r.ok, true, JSON.stringify(r.errors));
      assert.deepEqual(r.signer, { algorithm: 'openpgp', fingerprint: ops.fingerprint });
    });

    it('a signature over other bytes is SIGNATURE_INVALID', async (t) => {
      const { ops } = await pgpKeys;
      const dir = await tempDir(t);
      const manifest = containerManifest();
      const asc = await ascOf(ops.privateArmored, containerManifest({ version: '0.3.1' }));
      const r = await verifyBundle(
        await writeBundleFile(join(dir, 'c.aurion'), { manifest, asc }),
        await pgpTrust(ops.publicArmored),
      );
      assert.deepEqual(codes(r), ['SIGNATURE_INVALID']);
    });

    it('an armored block that holds no signature, or garbage, is SIGNATURE_INVALID', async (t) => {
      const { ops } = await pgpKeys;
      const dir = await tempDir(t);
      const manifest = containerManifest();
      const trust = await pgpTrust(ops.publicArmored);
      for (const [i, asc] of [
        Buffer.from(ops.publicArmored),
        Buffer.from('not armored'),
        Buffer.alloc(0),
      ].entries()) {
        const path = await writeBundleFile(join(dir, `c${i}.aurion`), { manifest, asc });
        assert.deepEqual(codes(await verifyBundle(path, trust)), ['SIGNATURE_INVALID'], String(i));
      }
    });

    it('a signature by an untrusted OpenPGP key, or with no OpenPGP trust at all, is KEY_UNTRUSTED', async (t) => {
      const { ops, other } = await pgpKeys;
      const dir = await tempDir(t);
      const manifest = containerManifest();
      const path = await writeBundleFile(join(dir, 'c.aurion'), {
        manifest,
        asc: await ascOf(other.privateArmored, manifest),
      });
      assert.deepEqual(codes(await verifyBundle(path, await pgpTrust(ops.publicArmored))), ['KEY_UNTRUSTED']);
      assert.deepEqual(codes(await verifyBundle(path, trustOf(alice))), ['KEY_UNTRUSTED']);
    });

    it('policy rules apply to OpenPGP keys: revoked, globs, risk class', async (t) => {
      const { ops } = await pgpKeys;
      const dir = await tempDir(t);
      const manifest = containerManifest();
      const path = await writeBundleFile(join(dir, 'c.aurion'), {
        manifest,
        asc: await ascOf(ops.privateArmored, manifest),
      });
      const doc = (rules: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        policyOf({
          pgp_keys: [{ fingerprint: ops.fingerprint.toUpperCase(), public_key: ops.publicArmored, ...rules }],
          ...extra,
        });
      assert.equal(
        (await verifyBundle(path, await doc({ max_risk_class: 'Medium', plugins: ['port-*'] }))).ok,
        true,
      );
      assert.deepEqual(codes(await verifyBundle(path, await doc({}, { revoked: [ops.fingerprint] }))), [
        'KEY_REVOKED',
      ]);
      assert.deepEqual(
        codes(await verifyBundle(path, await doc({}, { revoked: [ops.fingerprint.slice(24)] }))),
        ['KEY_REVOKED'],
      );
      assert.deepEqual(codes(await verifyBundle(path, await doc({ plugins: ['dns-*'] }))), ['KEY_UNTRUSTED']);
      assert.deepEqual(codes(await verifyBundle(path, await doc({ max_risk_class: 'Low' }))), [
        'RISK_NOT_ALLOWED',
      ]);
      assert.deepEqual(codes(await verifyBundle(path, await doc({ expires: '2001-01-01T00:00:00Z' }))), [
        'KEY_EXPIRED',
      ]);
    });

    it('a policy fingerprint that is not the key in the file is POLICY_INVALID', async () => {
      const { ops, other } = await pgpKeys;
      await assert.rejects(
        policyOf({ pgp_keys: [{ fingerprint: other.fingerprint, public_key: ops.publicArmored }] }),
        (e: Error & { code?: string }) =>
          e.code === 'POLICY_INVALID' && /\/pgp_keys\/0\/fingerprint/.test(e.message),
      );
    });

    it('with both signatures, one passing is enough; each verdict is reported and signer names the one that passed', async (t) => {
      const { ops } = await pgpKeys;
      const dir = await tempDir(t);
      const manifest = containerManifest();
      const path = await writeBundleFile(join(dir, 'c.aurion'), {
        manifest,
        ed25519: envelopeBytes(bob, { ...imageSubject, manifestBytes: manifest }),
        asc: await ascOf(ops.privateArmored, manifest),
      });
      const r = await verifyBundle(path, {
        ...(await pgpTrust(ops.publicArmored)),
        keys: trustOf(alice).keys,
      });
      assert.equal(r.ok, true);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.signer, { algorithm: 'openpgp', fingerprint: ops.fingerprint });
      assert.deepEqual(
        r.signatures.map((s) => [s.file, s.ok, s.errors.map((e) => e.code)]),
        [
          ['signature.ed25519', false, ['KEY_UNTRUSTED']],
          ['signature.asc', true, []],
        ],
      );
      // The other way round: Ed25519 passes, OpenPGP is untrusted.
      const r2 = await verifyBundle(path, trustOf(bob));
      assert.equal(r2.ok, true);
      assert.deepEqual(r2.signer, { algorithm: 'ed25519', key_id: bob.keyId });
      // Neither passes: every signature's errors are the bundle's errors.
      const r3 = await verifyBundle(path, trustOf(alice));
      assert.deepEqual(codes(r3), ['KEY_UNTRUSTED', 'KEY_UNTRUSTED']);
    });
  });
});

describe('verifyBundles', () => {
  it('reports unreadable and malformed bundles inside their results; exit code is the largest', async (t) => {
    const dir = await tempDir(t);
    const good = (await signedWasmBundle(dir, alice)).path;
    const garbage = join(dir, 'garbage.aurion');
    await writeFile(garbage, 'this is not gzip');
    const badManifest = await writeBundleFile(join(dir, 'bad-manifest.aurion'), {
      manifest: Buffer.from('{"schema_version": 1}'),
      module: TINY_WASM,
    });
    const unsigned = await writeBundleFile(join(dir, 'unsigned.aurion'), {
      manifest: wasmManifest(TINY_WASM),
      module: TINY_WASM,
    });
    const missing = join(dir, 'missing.aurion');
    const trust = trustOf(alice);
    const results = await verifyBundles([good, garbage, badManifest, unsigned, missing], trust, {
      concurrency: 2,
    });
    assert.deepEqual(
      results.map((r) => [r.bundle, r.ok, r.errors.map((e) => e.code)]),
      [
        [good, true, []],
        [garbage, false, ['BUNDLE_INVALID']],
        [badManifest, false, ['MANIFEST_INVALID']],
        [unsigned, false, ['UNSIGNED']],
        [missing, false, ['IO_ERROR']],
      ],
    );
    assert.equal(results[1]!.plugin, null);
    assert.equal(exitCodeOf(results), 4);
    assert.equal(exitCodeOf(results.slice(0, 4)), 3);
    assert.equal(exitCodeOf([results[0]!, results[3]!]), 1);
    assert.equal(exitCodeOf([results[0]!]), 0);
    assert.equal(exitCodeOf([]), 0);
  });
});
