import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mergeAuthorizerTrust, parseAuthorizerPolicy } from '../../../src/core/authz/trust.js';
import { generateEd25519KeyPair } from '../../../src/core/keys.js';
import { parseTrustPolicy } from '../../../src/core/policy.js';
import { loadAuthorizerTrust } from '../../../src/io/authorizers.js';
import { expectAurionError, tempDir } from '../../helpers.js';

const a = generateEd25519KeyPair();
const b = generateEd25519KeyPair();
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const noFiles = { source: 'policy.json', readKeyFile: async () => assert.fail('no key file expected') };

describe('authorizers in the trust policy', () => {
  it('reads authorizers with their rules, revoked and thresholds (T/Z in either case)', async () => {
    const trust = await parseAuthorizerPolicy(
      enc({
        schema_version: 1,
        authorizers: [
          {
            key_id: a.keyId.toUpperCase(),
            public_key: a.publicPem,
            name: 'Dana',
            scopes: ['eng-*'],
            max_risk_class: 'Medium',
            expires: '2027-01-01t00:00:00z',
          },
          { key_id: b.keyId, public_key: b.publicPem },
        ],
        revoked: [b.keyId.toUpperCase()],
        authorization_thresholds: { High: 2 },
      }),
      noFiles,
    );
    const [first, second] = trust.authorizers;
    assert.equal(first?.keyId, a.keyId);
    assert.deepEqual(first?.scopes, ['eng-*']);
    assert.equal(first?.maxRiskClass, 'Medium');
    assert.equal(first?.expires?.toISOString(), '2027-01-01T00:00:00.000Z');
    assert.deepEqual(second?.scopes, ['*']);
    assert.equal(second?.maxRiskClass, 'High');
    assert.ok(trust.revoked.has(b.keyId));
    assert.deepEqual(trust.thresholds, { High: 2 });
  });

  it('a policy with authorizers still loads for plugin verification, and one without them is unchanged', async () => {
    const policy = await parseTrustPolicy(
      enc({
        schema_version: 1,
        keys: [{ key_id: a.keyId, public_key: a.publicPem }],
        authorizers: [{ key_id: b.keyId, public_key: b.publicPem }],
        authorization_thresholds: { Medium: 1 },
      }),
      noFiles,
    );
    assert.deepEqual(
      policy.keys.map((k) => k.keyId),
      [a.keyId],
    );
    const none = await parseAuthorizerPolicy(
      enc({ schema_version: 1, keys: [{ key_id: a.keyId, public_key: a.publicPem }] }),
      noFiles,
    );
    assert.deepEqual(none.authorizers, []);
  });

  it('refuses a bad policy: POLICY_INVALID, KEY_INVALID', async () => {
    const bad = async (doc: object, code: 'POLICY_INVALID' | 'KEY_INVALID' = 'POLICY_INVALID') =>
      expectAurionError(() => parseAuthorizerPolicy(enc({ schema_version: 1, ...doc }), noFiles), code);
    await bad({ authorizers: [{ key_id: b.keyId, public_key: a.publicPem }] });
    await bad({
      authorizers: [
        { key_id: a.keyId, public_key: a.publicPem },
        { key_id: a.keyId, public_key: a.publicPem },
      ],
    });
    await bad({
      authorizers: [{ key_id: a.keyId, public_key: a.publicPem, expires: '2027-02-30T00:00:00Z' }],
    });
    await bad({ authorizers: [{ key_id: a.keyId, public_key: a.publicPem, scopes: [] }] });
    await bad({ authorizers: [{ key_id: a.keyId, public_key: a.publicPem, plugins: ['*'] }] });
    await bad({ authorizers: [{ key_id: a.keyId }] });
    await bad({ authorization_thresholds: { High: 0 } });
    await bad({ authorization_thresholds: { Critical: 2 } });
    await bad({ authorizers: [{ key_id: a.keyId, public_key: 'not a key' }] }, 'KEY_INVALID');
  });

  it('merging keeps the first entry of a key and the strictest threshold', () => {
    const x = {
      keyId: 'k',
      publicKey: new Uint8Array(32),
      scopes: ['a'],
      maxRiskClass: 'Low' as const,
      source: 'policy',
    };
    const merged = mergeAuthorizerTrust([
      { authorizers: [x], revoked: new Set(['r1']), thresholds: { High: 2 } },
      {
        authorizers: [{ ...x, scopes: ['*'], source: 'flag' }],
        revoked: new Set(['r2']),
        thresholds: { High: 3, Medium: 2 },
      },
    ]);
    assert.equal(merged.authorizers.length, 1);
    assert.equal(merged.authorizers[0]?.source, 'policy');
    assert.deepEqual([...merged.revoked], ['r1', 'r2']);
    assert.deepEqual(merged.thresholds, { High: 3, Medium: 2 });
  });
});

describe('loadAuthorizerTrust', () => {
  it('reads key files relative to the policy; USAGE without any authorizer; IO_ERROR for a missing file', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'a.pub'), a.publicPem);
    await writeFile(
      join(dir, 'policy.json'),
      JSON.stringify({ schema_version: 1, authorizers: [{ key_id: a.keyId, public_key_file: 'a.pub' }] }),
    );
    const trust = await loadAuthorizerTrust({ trustPolicy: join(dir, 'policy.json') });
    assert.deepEqual(
      trust.authorizers.map((x) => x.keyId),
      [a.keyId],
    );
    await writeFile(join(dir, 'b.pub'), b.publicPem);
    const both = await loadAuthorizerTrust({
      trustPolicy: join(dir, 'policy.json'),
      trustedAuthorizers: [join(dir, 'b.pub'), join(dir, 'a.pub')],
    });
    assert.deepEqual(
      both.authorizers.map((x) => x.source.startsWith('--trusted-authorizer')),
      [false, true],
    );
    await expectAurionError(() => loadAuthorizerTrust({}), 'USAGE');
    await writeFile(join(dir, 'empty.json'), JSON.stringify({ schema_version: 1 }));
    await expectAurionError(() => loadAuthorizerTrust({ trustPolicy: join(dir, 'empty.json') }), 'USAGE');
    await expectAurionError(
      () => loadAuthorizerTrust({ trustedAuthorizers: [join(dir, 'nope.pub')] }),
      'IO_ERROR',
    );
    await writeFile(
      join(dir, 'gone.json'),
      JSON.stringify({ schema_version: 1, authorizers: [{ key_id: a.keyId, public_key_file: 'gone.pub' }] }),
    );
    await expectAurionError(() => loadAuthorizerTrust({ trustPolicy: join(dir, 'gone.json') }), 'IO_ERROR');
  });
});
