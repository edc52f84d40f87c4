import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  effectiveRiskClass,
  evaluateRules,
  globMatch,
  isRevoked,
  mergeTrust,
  parseTrustPolicy,
  type TrustPolicy,
  trustedKeyFromPem,
} from '../../src/core/policy.js';
import { AurionError } from '../../src/errors.js';
import { ed25519Key, spkiPemOfRaw } from '../fixtures/keys.js';
import { manifestValue as manifest } from '../fixtures/manifests.js';
import { expectAurionError } from '../helpers.js';

const alice = ed25519Key();
const bob = ed25519Key();

/** A context whose key files live in an in-memory map; a missing one is IO_ERROR like the real reader. */
function context(files: Record<string, string> = {}) {
  return {
    source: 'policy.json',
    readKeyFile: async (path: string) => {
      const text = files[path];
      if (text === undefined)
        throw new AurionError('IO_ERROR', `cannot read public key ${path}: no such file`);
      return Buffer.from(text);
    },
  };
}

const parse = (doc: unknown, files?: Record<string, string>) =>
  parseTrustPolicy(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), context(files));

describe('parseTrustPolicy', () => {
  it('reads expires with lowercase t and z, and with offsets (RFC 3339)', async () => {
    for (const [expires, instant] of [
      ['2027-12-31t00:00:00z', '2027-12-31T00:00:00.000Z'],
      ['2027-12-31t01:00:00+01:00', '2027-12-31T00:00:00.000Z'],
      ['2027-12-30T19:00:00.5-05:00', '2027-12-31T00:00:00.500Z'],
    ] as const) {
      const policy = await parse({
        schema_version: 1,
        keys: [{ key_id: alice.keyId, public_key: alice.publicPem, expires }],
      });
      assert.equal(policy.keys[0]!.expires?.toISOString(), instant, expires);
    }
  });

  it('loads keys from files (relative names passed through) and inline, with every field', async () => {
    const policy = await parse(
      {
        schema_version: 1,
        keys: [
          {
            key_id: alice.keyId,
            public_key_file: 'keys/alice.pub',
            name: 'alice',
            max_risk_class: 'Low',
            plugins: ['dns-*'],
            expires: '2027-12-31T00:00:00Z',
          },
          { key_id: bob.keyId.toUpperCase(), public_key: bob.publicPem },
        ],
        revoked: ['77AA88BB99CC00DD'],
        risk_class_overrides: { 'legacy-scanner': 'High' },
      },
      { 'keys/alice.pub': alice.publicPem },
    );
    assert.equal(policy.keys.length, 2);
    const [a, b] = policy.keys;
    assert.equal(a!.keyId, alice.keyId);
    assert.deepEqual(Buffer.from(a!.publicKey.raw), alice.raw);
    assert.equal(a!.name, 'alice');
    assert.equal(a!.maxRiskClass, 'Low');
    assert.deepEqual(a!.plugins, ['dns-*']);
    assert.equal(a!.expires?.toISOString(), '2027-12-31T00:00:00.000Z');
    assert.equal(a!.source, 'policy.json /keys/0');
    // Defaults, and hex case normalised.
    assert.equal(b!.keyId, bob.keyId);
    assert.equal(b!.maxRiskClass, 'High');
    assert.deepEqual(b!.plugins, ['*']);
    assert.equal(b!.expires, undefined);
    assert.ok(policy.revoked.has('77aa88bb99cc00dd'));
    assert.equal(policy.riskClassOverrides.get('legacy-scanner'), 'High');
    assert.deepEqual(policy.pgpKeys, []);
  });

  it('accepts a policy with nothing but schema_version', async () => {
    const policy = await parse({ schema_version: 1 });
    assert.deepEqual(
      [policy.keys, policy.pgpKeys, policy.revoked.size, policy.riskClassOverrides.size],
      [[], [], 0, 0],
    );
  });

  const invalid: Array<[string, unknown, string]> = [
    ['not JSON', '{"schema_version": 1,', ''],
    ['a duplicate JSON key', '{"schema_version": 1, "schema_version": 1}', '/schema_version'],
    ['a BOM', '\ufeff{"schema_version": 1}', ''],
    ['the wrong schema_version', { schema_version: 2 }, '/schema_version'],
    ['no schema_version', { keys: [] }, '/schema_version'],
    ['an unknown top-level field', { schema_version: 1, trusted: [] }, '/trusted'],
    [
      'an unknown key field',
      { schema_version: 1, keys: [{ key_id: alice.keyId, public_key: 'x', maxRisk: 'Low' }] },
      '/keys/0/maxRisk',
    ],
    ['a short key_id', { schema_version: 1, keys: [{ key_id: 'abc', public_key: 'x' }] }, '/keys/0/key_id'],
    ['a key without key_id', { schema_version: 1, keys: [{ public_key: 'x' }] }, '/keys/0/key_id'],
    ['a key with no key material', { schema_version: 1, keys: [{ key_id: alice.keyId }] }, '/keys/0'],
    [
      'a key with both file and inline key',
      { schema_version: 1, keys: [{ key_id: alice.keyId, public_key: 'x', public_key_file: 'y' }] },
      '/keys/0',
    ],
    [
      'an unknown risk class',
      { schema_version: 1, keys: [{ key_id: alice.keyId, public_key: 'x', max_risk_class: 'Critical' }] },
      '/keys/0/max_risk_class',
    ],
    [
      'an empty plugins list',
      { schema_version: 1, keys: [{ key_id: alice.keyId, public_key: 'x', plugins: [] }] },
      '/keys/0/plugins',
    ],
    [
      'a glob with other wildcards',
      { schema_version: 1, keys: [{ key_id: alice.keyId, public_key: 'x', plugins: ['dns-[a-z]'] }] },
      '/keys/0/plugins/0',
    ],
    [
      'an expiry without a zone',
      { schema_version: 1, keys: [{ key_id: alice.keyId, public_key: 'x', expires: '2027-12-31T00:00:00' }] },
      '/keys/0/expires',
    ],
    [
      'an expiry that is a date only',
      { schema_version: 1, keys: [{ key_id: alice.keyId, public_key: 'x', expires: '2027-12-31' }] },
      '/keys/0/expires',
    ],
    [
      'an impossible expiry date',
      {
        schema_version: 1,
        keys: [{ key_id: alice.keyId, public_key: 'x', expires: '2027-02-30T00:00:00Z' }],
      },
      '/keys/0/expires',
    ],
    [
      'an impossible expiry time',
      {
        schema_version: 1,
        keys: [{ key_id: alice.keyId, public_key: 'x', expires: '2027-01-01T25:00:00Z' }],
      },
      '/keys/0/expires',
    ],
    [
      'the same key twice',
      {
        schema_version: 1,
        keys: [
          { key_id: alice.keyId, public_key: 'x' },
          { key_id: alice.keyId.toUpperCase(), public_key: 'x' },
        ],
      },
      '/keys/1/key_id',
    ],
    [
      'a PGP fingerprint of the wrong length',
      { schema_version: 1, pgp_keys: [{ fingerprint: 'ab'.repeat(16), public_key: 'x' }] },
      '/pgp_keys/0/fingerprint',
    ],
    [
      'a fingerprint with spaces',
      { schema_version: 1, pgp_keys: [{ fingerprint: 'ABCD '.repeat(10).trim(), public_key: 'x' }] },
      '/pgp_keys/0/fingerprint',
    ],
    ['a revoked entry that is no id', { schema_version: 1, revoked: ['alice'] }, '/revoked/0'],
    ['a revoked entry listed twice', { schema_version: 1, revoked: [alice.keyId, alice.keyId] }, '/revoked'],
    [
      'an override for an invalid plugin name',
      { schema_version: 1, risk_class_overrides: { 'Bad Name': 'High' } },
      '/risk_class_overrides',
    ],
    [
      'an override to an unknown class',
      { schema_version: 1, risk_class_overrides: { 'dns-enum': 'Extreme' } },
      '/risk_class_overrides/dns-enum',
    ],
    ['a policy that is an array', [], ''],
  ];
  for (const [what, doc, pointer] of invalid) {
    it(`refuses ${what} (POLICY_INVALID at ${pointer === '' ? 'the root' : pointer})`, async () => {
      const e = await expectAurionError(() => parse(doc), 'POLICY_INVALID');
      assert.equal(e.exitCode, 3);
      const locations = e.issues.length > 0 ? e.issues.map((i) => i.at) : [e.message];
      assert.ok(
        locations.some((at) => (pointer === '' ? true : at.includes(pointer))),
        `${pointer} not in ${JSON.stringify(locations)} (${e.message})`,
      );
      assert.match(e.message, /policy\.json/);
      assert.ok(e.hint !== undefined);
    });
  }

  it('reports every schema problem at once', async () => {
    const e = await expectAurionError(
      () =>
        parse({
          schema_version: 1,
          keys: [{ key_id: 'x', public_key: 'x', max_risk_class: 'Huge' }],
          revoked: [1],
        }),
      'POLICY_INVALID',
    );
    const at = e.issues.map((i) => i.at);
    for (const p of ['/keys/0/key_id', '/keys/0/max_risk_class', '/revoked/0'])
      assert.ok(at.includes(p), `${p} in ${at}`);
  });

  it('refuses a key_id that is not the one computed from the key (POLICY_INVALID), naming both', async () => {
    const e = await expectAurionError(
      () =>
        parse(
          { schema_version: 1, keys: [{ key_id: bob.keyId, public_key_file: 'alice.pub' }] },
          { 'alice.pub': alice.publicPem },
        ),
      'POLICY_INVALID',
    );
    assert.match(e.message, /\/keys\/0\/key_id/);
    assert.ok(e.message.includes(bob.keyId) && e.message.includes(alice.keyId), e.message);
  });

  it('a key file that cannot be read is IO_ERROR naming the policy entry', async () => {
    const e = await expectAurionError(
      () => parse({ schema_version: 1, keys: [{ key_id: alice.keyId, public_key_file: 'missing.pub' }] }),
      'IO_ERROR',
    );
    assert.equal(e.exitCode, 4);
    assert.match(e.message, /missing\.pub.*policy\.json \/keys\/0\/public_key_file/);
  });

  it('a key that does not parse is KEY_INVALID naming the policy entry', async () => {
    const e = await expectAurionError(
      () => parse({ schema_version: 1, keys: [{ key_id: alice.keyId, public_key: 'not a key' }] }),
      'KEY_INVALID',
    );
    assert.match(e.message, /policy\.json \/keys\/0/);
    assert.doesNotMatch(e.message, /PRIVATE KEY/);
  });

  it('refuses a small-order key (the identity point) when the trust material is loaded (KEY_INVALID)', async () => {
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const pem = spkiPemOfRaw(identity);
    const keyId = (await import('node:crypto'))
      .createHash('sha256')
      .update(identity)
      .digest('hex')
      .slice(0, 16);
    await expectAurionError(
      () => parse({ schema_version: 1, keys: [{ key_id: keyId, public_key: pem }] }),
      'KEY_INVALID',
    );
    await expectAurionError(() => trustedKeyFromPem(pem, 'identity.pub'), 'KEY_INVALID');
  });

  it('a private key given as a trusted key is KEY_INVALID, and the message holds no key material', async () => {
    const e = await expectAurionError(() => trustedKeyFromPem(alice.privatePem, 'alice.key'), 'KEY_INVALID');
    const body = alice.privatePem.split('\n')[1]!;
    assert.ok(!e.message.includes(body.slice(0, 20)));
  });
});

describe('globMatch', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'dns-enum', true],
    ['dns-*', 'dns-enum', true],
    ['dns-*', 'dns-', true],
    ['dns-*', 'xdns-enum', false],
    ['*-enum', 'dns-enum', true],
    ['*-enum', 'dns-enumx', false],
    ['dns-enum', 'dns-enum', true],
    ['dns-enum', 'dns-enum2', false],
    ['dns', 'dns-enum', false],
    ['ct-log-?', 'ct-log-1', true],
    ['ct-log-?', 'ct-log-12', false],
    ['ct-log-?', 'ct-log-', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['*a*a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
    ['**', '', true],
    ['?', '', false],
    ['.*', 'dns', false],
  ];
  for (const [pattern, text, expected] of cases) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      assert.equal(globMatch(pattern, text), expected);
    });
  }
});

describe('policy rules', () => {
  const base = (overrides: Partial<TrustPolicy> = {}): TrustPolicy => ({
    keys: [],
    pgpKeys: [],
    revoked: new Set(),
    riskClassOverrides: new Map(),
    ...overrides,
  });
  const signer = (rules: Record<string, unknown> = {}) => ({
    maxRiskClass: 'High' as const,
    plugins: ['*'],
    source: 'test',
    ...rules,
  });
  const now = new Date('2026-06-01T00:00:00Z');
  const codes = (policy: TrustPolicy, rules: Record<string, unknown>, m = manifest()) =>
    evaluateRules(policy, signer(rules), alice.keyId, m, now).map((f) => f.code);

  it('allows a plugin within every rule', () => {
    assert.deepEqual(codes(base(), {}), []);
  });
  it('revoked: KEY_REVOKED when listed, nothing when another key is', () => {
    assert.deepEqual(codes(base({ revoked: new Set([alice.keyId]) }), {}), ['KEY_REVOKED']);
    assert.deepEqual(codes(base({ revoked: new Set([bob.keyId]) }), {}), []);
  });
  it('expires: KEY_EXPIRED at and after the instant, nothing before', () => {
    assert.deepEqual(codes(base(), { expires: new Date('2026-06-01T00:00:00Z') }), ['KEY_EXPIRED']);
    assert.deepEqual(codes(base(), { expires: new Date('2026-01-01T00:00:00Z') }), ['KEY_EXPIRED']);
    assert.deepEqual(codes(base(), { expires: new Date('2026-06-01T00:00:01Z') }), []);
  });
  it('plugins: KEY_UNTRUSTED when no glob matches, nothing when one does', () => {
    assert.deepEqual(codes(base(), { plugins: ['port-*', 'web-?'] }), ['KEY_UNTRUSTED']);
    assert.deepEqual(codes(base(), { plugins: ['port-*', 'dns-*'] }), []);
  });
  it('max_risk_class: RISK_NOT_ALLOWED above it, nothing at or below it', () => {
    const medium = manifest({ capabilities: ['PortScan'], risk_class: 'Medium' });
    assert.deepEqual(codes(base(), { maxRiskClass: 'Low' }, medium), ['RISK_NOT_ALLOWED']);
    assert.deepEqual(codes(base(), { maxRiskClass: 'Medium' }, medium), []);
    assert.deepEqual(codes(base(), { maxRiskClass: 'High' }, medium), []);
  });
  it('risk_class_overrides: the effective class decides, both up and down', () => {
    const raised = base({ riskClassOverrides: new Map([['dns-enum', 'High']]) });
    assert.equal(effectiveRiskClass(raised, manifest()), 'High');
    assert.deepEqual(codes(raised, { maxRiskClass: 'Medium' }), ['RISK_NOT_ALLOWED']);
    const lowered = base({ riskClassOverrides: new Map([['dns-enum', 'Low']]) });
    const high = manifest({ capabilities: ['Fuzz'], risk_class: 'High' });
    assert.equal(effectiveRiskClass(lowered, high), 'Low');
    assert.deepEqual(codes(lowered, { maxRiskClass: 'Low' }, high), []);
    assert.equal(effectiveRiskClass(lowered, manifest({ name: 'other' })), 'Low');
    assert.equal(effectiveRiskClass(raised, manifest({ name: 'other' })), 'Low');
  });
  it('reports every rule that denies, not just the first', () => {
    const medium = manifest({ capabilities: ['PortScan'], risk_class: 'Medium' });
    assert.deepEqual(
      codes(
        base({ revoked: new Set([alice.keyId]) }),
        { expires: new Date(0), plugins: ['x'], maxRiskClass: 'Low' },
        medium,
      ),
      ['KEY_REVOKED', 'KEY_EXPIRED', 'KEY_UNTRUSTED', 'RISK_NOT_ALLOWED'],
    );
  });
  it('isRevoked matches OpenPGP fingerprints and their long key ids, in any case', () => {
    const v4 = '0123456789abcdef0123456789abcdef01234567';
    assert.ok(isRevoked(base({ revoked: new Set([v4]) }), v4.toUpperCase()));
    assert.ok(isRevoked(base({ revoked: new Set(['89abcdef01234567']) }), v4));
    const v6 = 'fe'.repeat(32);
    assert.ok(isRevoked(base({ revoked: new Set(['fe'.repeat(8)]) }), v6));
    assert.ok(!isRevoked(base({ revoked: new Set(['0123456789abcdef']) }), v4));
  });
});

describe('mergeTrust', () => {
  it('unions keys; for a key in several parts the first entry (the policy) wins', async () => {
    const policy = await parse({
      schema_version: 1,
      keys: [{ key_id: alice.keyId, public_key: alice.publicPem, max_risk_class: 'Low' }],
      revoked: [bob.keyId],
    });
    const shorthand = {
      keys: [trustedKeyFromPem(alice.publicPem, 'a.pub'), trustedKeyFromPem(bob.publicPem, 'b.pub')],
      pgpKeys: [],
      revoked: new Set<string>(),
      riskClassOverrides: new Map(),
    };
    const merged = await mergeTrust([policy, shorthand]);
    assert.deepEqual(
      merged.keys.map((k) => [k.keyId, k.maxRiskClass]),
      [
        [alice.keyId, 'Low'],
        [bob.keyId, 'High'],
      ],
    );
    assert.ok(merged.revoked.has(bob.keyId));
  });
  it('refuses conflicting risk-class overrides', async () => {
    const a = await parse({ schema_version: 1, risk_class_overrides: { x1: 'High' } });
    const b = await parse({ schema_version: 1, risk_class_overrides: { x1: 'Low' } });
    await expectAurionError(() => mergeTrust([a, b]), 'POLICY_INVALID');
    assert.equal((await mergeTrust([a, a])).riskClassOverrides.get('x1'), 'High');
  });
});
