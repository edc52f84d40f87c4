import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AuthorizationInput,
  type AuthorizationJob,
  type AuthorizerTrust,
  addAuthorizationSignature,
  checkAuthorization,
  createAuthorization,
  pae,
  parseAuthorization,
} from '../../../src/core/authz/index.js';
import { signEd25519 } from '../../../src/core/ed25519.js';
import { type Ed25519PrivateKey, generateEd25519KeyPair, loadPrivateKey } from '../../../src/core/keys.js';
import { expectAurionError } from '../../helpers.js';

const newKey = (): Ed25519PrivateKey =>
  loadPrivateKey(generateEd25519KeyPair().privatePem, undefined, 'test');
const alice = newKey();
const bob = newKey();
const carol = newKey();

const T0 = new Date('2026-12-01T00:00:00Z');
const NOW = new Date('2026-12-10T12:00:00Z');
const INPUT: AuthorizationInput = {
  scopeId: 'engagement-42',
  targets: ['example.com', '*.example.com', '192.0.2.0/24', '2001:db8::/32', 'https://app.example.com/api/'],
  exclude: ['admin.example.com', '192.0.2.1'],
  capabilities: ['PortScan', 'VulnerabilityScan'],
  plugins: ['nuclei-*'],
  notBefore: T0,
  notAfter: new Date('2026-12-31T23:59:59Z'),
  issuer: { name: 'Dana Reyes', organization: 'Example Corp', contact: 'sec@example.com' },
};
const JOB: AuthorizationJob = {
  scopeId: 'engagement-42',
  target: 'www.example.com',
  pluginName: 'nuclei-http',
  capabilities: ['PassiveEnum', 'VulnerabilityScan'],
  riskClass: 'High',
};

function trustOf(keys: Ed25519PrivateKey[], extra: Partial<AuthorizerTrust> = {}): AuthorizerTrust {
  return {
    authorizers: keys.map((k) => ({
      keyId: k.publicKey.keyId,
      publicKey: k.publicKey.raw,
      scopes: ['*'],
      maxRiskClass: 'High' as const,
      source: 'test',
    })),
    revoked: new Set(),
    thresholds: {},
    ...extra,
  };
}

const signed = createAuthorization(INPUT, alice, { now: T0 });
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const envelopeJson = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8'));

/** An envelope around an arbitrary payload, signed by alice (for schema tests of the statement). */
function envelopeWith(payload: unknown): Uint8Array {
  const bytes = new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const sig = signEd25519(alice, pae('application/vnd.aurion.authorization.v1+json', bytes));
  return enc({
    payloadType: 'application/vnd.aurion.authorization.v1+json',
    payload: Buffer.from(bytes).toString('base64'),
    signatures: [{ keyid: alice.publicKey.keyId, sig: Buffer.from(sig).toString('base64') }],
  });
}
const statement = () => ({ ...parseAuthorization(signed, 't').statement }) as Record<string, unknown>;

describe('checkAuthorization: coverage in SPEC order', () => {
  it('covers a job inside every rule and names its signers', () => {
    const grant = checkAuthorization(signed, JOB, trustOf([alice]), { now: NOW });
    assert.equal(grant.id, parseAuthorization(signed, 't').statement.id);
    assert.deepEqual(grant.signers, [alice.publicKey.keyId]);
  });

  const denials: Array<[string, Partial<AuthorizationJob>, Date, string]> = [
    ['time window (before)', {}, new Date('2026-11-30T23:59:59Z'), 'time window'],
    ['time window (after)', {}, new Date('2027-01-01T00:00:00Z'), 'time window'],
    ['scope', { scopeId: 'engagement-43' }, NOW, 'scope'],
    ['plugin', { pluginName: 'zap' }, NOW, 'plugin'],
    ['capabilities', { capabilities: ['Fuzz'] }, NOW, 'capabilities'],
    ['target', { target: 'example.org' }, NOW, 'target'],
    ['exclude', { target: 'admin.example.com' }, NOW, 'exclude'],
    ['exclude of a CIDR target', { target: '192.0.2.0/30' }, NOW, 'exclude'],
  ];
  for (const [name, change, at, rule] of denials) {
    it(`denies by rule "${rule}": ${name}`, async () => {
      const e = await expectAurionError(
        () => checkAuthorization(signed, { ...JOB, ...change }, trustOf([alice]), { now: at }),
        'AUTHORIZATION_DENIED',
      );
      assert.match(e.message, new RegExp(`rule "${rule}"`));
    });
  }

  it('the bounds of the window are inclusive', () => {
    checkAuthorization(signed, JOB, trustOf([alice]), { now: T0 });
    checkAuthorization(signed, JOB, trustOf([alice]), { now: new Date('2026-12-31T23:59:59Z') });
  });

  it('Low capabilities need no listing; the first failing rule is reported', async () => {
    checkAuthorization(signed, { ...JOB, capabilities: ['PassiveEnum'] }, trustOf([alice]), { now: NOW });
    const e = await expectAurionError(
      () =>
        checkAuthorization(signed, { ...JOB, scopeId: 'x', target: 'example.org' }, trustOf([alice]), {
          now: NOW,
        }),
      'AUTHORIZATION_DENIED',
    );
    assert.match(e.message, /rule "scope"/);
  });

  it('an invalid job target is REQUEST_INVALID', async () => {
    for (const target of ['exa mple.com', '300.1.1.1', '*.example.com', 'ftp://x']) {
      await expectAurionError(
        () => checkAuthorization(signed, { ...JOB, target }, trustOf([alice]), { now: NOW }),
        'REQUEST_INVALID',
      );
    }
  });
});

describe('checkAuthorization: signatures and trust', () => {
  const deniedSignatures = async (bytes: Uint8Array, trust: AuthorizerTrust, job: AuthorizationJob = JOB) => {
    const e = await expectAurionError(
      () => checkAuthorization(bytes, job, trust, { now: NOW }),
      'AUTHORIZATION_DENIED',
    );
    assert.match(e.message, /rule "signatures and threshold"/);
    return e;
  };

  it('ignores unknown keys; untrusted signers deny before any other rule', async () => {
    const e = await deniedSignatures(signed, trustOf([bob]));
    assert.match(e.message, /0 of 1/);
    assert.match(e.message, /not a trusted authorizer/);
  });

  it('a two-person rule needs two distinct trusted keys; the same key twice counts once', async () => {
    const twoPerson = (keys: Ed25519PrivateKey[]) => trustOf(keys, { thresholds: { High: 2 } });
    await deniedSignatures(signed, twoPerson([alice, bob]));
    const both = addAuthorizationSignature(signed, bob).envelope;
    assert.deepEqual(checkAuthorization(both, JOB, twoPerson([alice, bob]), { now: NOW }).signers, [
      alice.publicKey.keyId,
      bob.publicKey.keyId,
    ]);
    // a duplicated entry of alice's signature is still one person
    const doc = envelopeJson(signed);
    doc.signatures.push(doc.signatures[0]);
    await deniedSignatures(enc(doc), twoPerson([alice, bob]));
    // the threshold is per class: Medium keeps 1
    checkAuthorization(
      signed,
      { ...JOB, capabilities: ['PortScan'], riskClass: 'Medium' },
      twoPerson([alice, bob]),
      { now: NOW },
    );
  });

  it('revoked, expired, out-of-scope and too-low-class authorizers do not count', async () => {
    const base = trustOf([alice]);
    const a = base.authorizers[0]!;
    await deniedSignatures(signed, { ...base, revoked: new Set([alice.publicKey.keyId]) });
    await deniedSignatures(signed, {
      ...base,
      authorizers: [{ ...a, expires: new Date('2026-12-05T00:00:00Z') }],
    });
    await deniedSignatures(signed, {
      ...base,
      authorizers: [{ ...a, scopes: ['engagement-4?-x', 'other-*'] }],
    });
    await deniedSignatures(signed, { ...base, authorizers: [{ ...a, maxRiskClass: 'Medium' }] });
    checkAuthorization(
      signed,
      JOB,
      { ...base, authorizers: [{ ...a, scopes: ['engagement-*'] }] },
      { now: NOW },
    );
    checkAuthorization(
      signed,
      { ...JOB, capabilities: ['PortScan'], riskClass: 'Medium' },
      { ...base, authorizers: [{ ...a, maxRiskClass: 'Medium' }] },
      { now: NOW },
    );
  });

  it('a signature that does not verify is ignored; so is one over other payload bytes', async () => {
    const doc = envelopeJson(signed);
    const sig = Buffer.from(doc.signatures[0].sig, 'base64');
    sig[0]! ^= 1;
    doc.signatures[0].sig = sig.toString('base64');
    const e = await deniedSignatures(enc(doc), trustOf([alice]));
    assert.match(e.message, /does not verify/);
    // re-encoding the payload (same JSON, different bytes) breaks the signature
    const other = envelopeJson(signed);
    const payload = JSON.parse(Buffer.from(other.payload, 'base64').toString('utf8'));
    other.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    await deniedSignatures(enc(other), trustOf([alice]));
    // no signatures at all
    const none = envelopeJson(signed);
    none.signatures = [];
    assert.match((await deniedSignatures(enc(none), trustOf([alice]))).message, /no signatures/);
  });

  it('refuses hand-made trust with a wrong key id or a threshold below 1', async () => {
    const base = trustOf([alice]);
    await expectAurionError(
      () =>
        checkAuthorization(signed, JOB, {
          ...base,
          authorizers: [{ ...base.authorizers[0]!, keyId: bob.publicKey.keyId }],
        }),
      'POLICY_INVALID',
    );
    await expectAurionError(
      () => checkAuthorization(signed, JOB, { ...base, thresholds: { High: 0 } }),
      'POLICY_INVALID',
    );
  });
});

describe('addAuthorizationSignature', () => {
  it('keeps the payload text; the same key twice is a no-op; a bad entry of the same key is replaced', () => {
    const once = addAuthorizationSignature(signed, bob);
    assert.equal(once.added, true);
    assert.equal(envelopeJson(once.envelope).payload, envelopeJson(signed).payload);
    const twice = addAuthorizationSignature(once.envelope, bob);
    assert.equal(twice.added, false);
    assert.deepEqual(twice.envelope, once.envelope);
    const doc = envelopeJson(once.envelope);
    doc.signatures[1].sig = doc.signatures[0].sig; // bob's entry now holds alice's signature
    const repaired = addAuthorizationSignature(enc(doc), bob);
    assert.equal(repaired.added, true);
    const ids = envelopeJson(repaired.envelope).signatures.map((s: { keyid: string }) => s.keyid);
    assert.deepEqual(ids, [alice.publicKey.keyId, bob.publicKey.keyId]);
    checkAuthorization(repaired.envelope, JOB, trustOf([alice, bob], { thresholds: { High: 2 } }), {
      now: NOW,
    });
    void carol;
  });
});

describe('pae', () => {
  it('is the DSSE v1 encoding (the DSSE specification example)', () => {
    const bytes = pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world'));
    assert.equal(
      Buffer.from(bytes).toString('utf8'),
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    // lengths count bytes, not characters
    const utf8 = pae('t', new TextEncoder().encode('é'));
    assert.deepEqual([...utf8], [...Buffer.from('DSSEv1 1 t 2 '), 0xc3, 0xa9]);
  });
});

describe('malformed authorizations: AUTHORIZATION_MALFORMED with a JSON pointer', () => {
  const cases: Array<[string, () => Uint8Array, string]> = [
    ['not JSON', () => enc('nope').subarray(1), ''],
    ['a BOM', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), signed]), ''],
    [
      'duplicate keys',
      () => new TextEncoder().encode(`{"payloadType":"x",${Buffer.from(signed).toString().slice(1)}`),
      '',
    ],
    [
      'wrong payloadType',
      () => enc({ ...envelopeJson(signed), payloadType: 'application/vnd.in-toto+json' }),
      '/payloadType',
    ],
    ['an unknown envelope key', () => enc({ ...envelopeJson(signed), extra: 1 }), '/extra'],
    ['bad base64 payload', () => enc({ ...envelopeJson(signed), payload: 'not base64!' }), '/payload'],
    ['unpadded base64', () => enc({ ...envelopeJson(signed), payload: 'YWJjZA' }), '/payload'],
    ['non-canonical base64 bits', () => enc({ ...envelopeJson(signed), payload: 'QR==' }), '/payload'],
    [
      // same decoded bytes (so alice's signature still verifies), another text: refused, not accepted
      'a non-canonical spelling of the signed payload',
      () => {
        // a statement whose encoding ends in "==": its last character carries 4 bits that encode nothing
        const pad = ['', 'a', 'aa'].find(
          (p) => JSON.stringify({ ...statement(), 'x-pad': p }).length % 3 === 1,
        )!;
        const original = envelopeJson(envelopeWith({ ...statement(), 'x-pad': pad }));
        const doc = { ...original };
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        const at = doc.payload.length - 3;
        doc.payload = `${doc.payload.slice(0, at)}${alphabet[alphabet.indexOf(doc.payload[at]) | 15]}==`;
        assert.notEqual(doc.payload, original.payload);
        assert.deepEqual(Buffer.from(doc.payload, 'base64'), Buffer.from(original.payload, 'base64'));
        return enc(doc);
      },
      '/payload',
    ],
    [
      'a short signature',
      () => {
        const doc = envelopeJson(signed);
        doc.signatures[0].sig = 'AAAA';
        return enc(doc);
      },
      '/signatures/0/sig',
    ],
    [
      'an uppercase key id',
      () => {
        const doc = envelopeJson(signed);
        doc.signatures[0].keyid = doc.signatures[0].keyid.toUpperCase().replace(/[0-9]/, 'A');
        return enc(doc);
      },
      '/signatures/0/keyid',
    ],
    ['a payload that is not JSON', () => envelopeWith('{"schema_version": 1,'), '/payload'],
    ['a payload with a BOM', () => envelopeWith(`\ufeff${JSON.stringify(statement())}`), '/payload'],
    [
      'a payload with duplicate keys',
      () => envelopeWith(`{"id":"x",${JSON.stringify(statement()).slice(1)}`),
      '/payload/id',
    ],
    ['an unknown statement key', () => envelopeWith({ ...statement(), extra: true }), '/payload/extra'],
    ['no targets', () => envelopeWith({ ...statement(), targets: [] }), '/payload/targets'],
    ['no capabilities', () => envelopeWith({ ...statement(), capabilities: [] }), '/payload/capabilities'],
    [
      'an unknown capability',
      () => envelopeWith({ ...statement(), capabilities: ['Exploit'] }),
      '/payload/capabilities/0',
    ],
    [
      'a missing not_after',
      () => envelopeWith({ ...statement(), not_after: undefined }),
      '/payload/not_after',
    ],
    [
      'an impossible date',
      () => envelopeWith({ ...statement(), not_before: '2026-02-30T00:00:00Z' }),
      '/payload/not_before',
    ],
    [
      'a window that ends before it starts',
      () => envelopeWith({ ...statement(), not_after: '2026-11-01T00:00:00Z' }),
      '/payload/not_after',
    ],
    ['a short id', () => envelopeWith({ ...statement(), id: 'abc' }), '/payload/id'],
    [
      'target "exa mple.com"',
      () => envelopeWith({ ...statement(), targets: ['example.com', 'exa mple.com'] }),
      '/payload/targets/1',
    ],
    [
      'target "300.1.1.1"',
      () => envelopeWith({ ...statement(), targets: ['300.1.1.1'] }),
      '/payload/targets/0',
    ],
    [
      'target "10.0.0.0/33"',
      () => envelopeWith({ ...statement(), targets: ['10.0.0.0/33'] }),
      '/payload/targets/0',
    ],
    ['target "ftp://x"', () => envelopeWith({ ...statement(), targets: ['ftp://x'] }), '/payload/targets/0'],
    [
      'exclude with user info',
      () => envelopeWith({ ...statement(), exclude: ['https://u@example.com/'] }),
      '/payload/exclude/0',
    ],
    [
      'a huge file',
      () => Buffer.concat([signed.subarray(0, -2), Buffer.alloc(1024 * 1024, 0x20), Buffer.from('}\n')]),
      '',
    ],
  ];
  for (const [name, make, pointer] of cases) {
    it(name, async () => {
      const e = await expectAurionError(
        () => checkAuthorization(make(), JOB, trustOf([alice]), { now: NOW }),
        'AUTHORIZATION_MALFORMED',
      );
      assert.equal(e.exitCode, 3);
      // one problem: the headline names its pointer; several: each is a located issue
      const located = e.message.includes(`: ${pointer} `) || e.issues.some((i) => i.at === pointer);
      if (pointer !== '')
        assert.ok(located, `${pointer} not named: ${e.message} ${JSON.stringify(e.issues)}`);
    });
  }
  it('extension keys x-* are allowed in the statement', () => {
    checkAuthorization(envelopeWith({ ...statement(), 'x-ticket': 'SEC-1' }), JOB, trustOf([alice]), {
      now: NOW,
    });
  });
  it('createAuthorization checks its input the same way, and writes nothing invalid', async () => {
    const e = await expectAurionError(
      () => createAuthorization({ ...INPUT, targets: ['example.com', '10.0.0.0/33'] }, alice),
      'AUTHORIZATION_MALFORMED',
    );
    assert.match(e.message, /\/payload\/targets\/1/);
  });
});
