/**
 * `authz` through the real CLI (SPEC §9): create, co-sign, verify every coverage rule, inspect, trust
 * policies with authorizers and thresholds, malformed input, and OpenSSL as an independent verifier.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { before, describe, it } from 'node:test';
import { writeBundle } from '../../src/core/bundle/index.js';
import { loadPrivateKey } from '../../src/core/keys.js';
import { writeStreamAtomic } from '../../src/io/atomic.js';
import { acquireLock } from '../../src/io/lock.js';
import { signAuthorizationFile } from '../../src/ops/authz.js';
import { opensslVerifies } from '../fixtures/checkers.js';
import { sha256 as sha256Hex } from '../fixtures/digest.js';
import { seededModule as moduleBytes } from '../fixtures/modules.js';
import { assertCliError, expectAurionError, runCli, tempDir } from '../helpers.js';
import { deadPid, lockRecord } from '../registry/util.js';

const TYPE = 'application/vnd.aurion.authorization.v1+json';
const AT = '2026-12-10T12:00:00Z';

interface Key {
  readonly key: string;
  readonly pub: string;
  readonly keyId: string;
}

let dir: string;
let alice: Key;
let bob: Key;
let mallory: Key;
/** Signed by alice. */
let single: string;
/** Signed by alice and bob. */
let double: string;

async function keygen(name: string): Promise<Key> {
  const r = await runCli(['keygen', '--out', join(dir, name), '--json']);
  assert.equal(r.code, 0, r.stderr);
  return { key: join(dir, `${name}.key`), pub: join(dir, `${name}.pub`), keyId: r.json.key_id };
}

const CREATE = [
  '--scope',
  'engagement-42',
  '--target',
  'example.com',
  '*.example.com',
  '192.0.2.0/24',
  '2001:db8::/32',
  'https://app.example.net/api/',
  'bücher.de',
  '--exclude',
  'admin.example.com',
  '192.0.2.1',
  '--capability',
  'PortScan',
  'VulnerabilityScan',
  '--plugin',
  'nuclei-*',
  '--not-before',
  '2026-12-01T00:00:00Z',
  '--not-after',
  '2026-12-31T23:59:59Z',
  '--issuer-name',
  'Dana Reyes',
  '--issuer-org',
  'Example Corp',
  '--issuer-contact',
  'sec@example.com',
];

interface Job {
  readonly file?: string;
  readonly target?: string;
  readonly scope?: string;
  readonly plugin?: string;
  readonly capabilities?: readonly string[];
  readonly at?: string;
  readonly trust?: readonly string[];
}
function verify(job: Job = {}) {
  return runCli([
    'authz',
    'verify',
    job.file ?? single,
    '--scope',
    job.scope ?? 'engagement-42',
    '--target',
    job.target ?? 'www.example.com',
    '--plugin-name',
    job.plugin ?? 'nuclei-http',
    '--capability',
    ...(job.capabilities ?? ['VulnerabilityScan']),
    '--at',
    job.at ?? AT,
    ...(job.trust ?? ['--trusted-authorizer', alice.pub]),
    '--json',
  ]);
}

async function expectDenied(job: Job, rule: string) {
  const r = await verify(job);
  assertCliError(r, 1, 'AUTHORIZATION_DENIED');
  assert.match(r.json.error.message, new RegExp(`rule "${rule}"`), r.json.error.message);
  return r;
}

async function writePolicy(name: string, policy: object): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ schema_version: 1, ...policy }));
  return path;
}
const authorizer = (k: Key, extra: object = {}) => ({ key_id: k.keyId, public_key_file: k.pub, ...extra });

before(async () => {
  dir = await tempDir({ after: () => {} }, 'aurion-authz-');
  [alice, bob, mallory] = [await keygen('alice'), await keygen('bob'), await keygen('mallory')];
  single = join(dir, 'single.json');
  const r = await runCli(['authz', 'create', ...CREATE, '--key', alice.key, '-o', single, '--json']);
  assert.equal(r.code, 0, r.stderr);
  double = join(dir, 'double.json');
  await writeFile(double, await readFile(single));
  const s = await runCli(['authz', 'sign', double, '--key', bob.key, '--json']);
  assert.equal(s.code, 0, s.stderr);
});

describe('authz create', () => {
  it('writes a DSSE envelope with the statement of SPEC §9', async () => {
    const envelope = JSON.parse(await readFile(single, 'utf8'));
    assert.deepEqual(Object.keys(envelope), ['payloadType', 'payload', 'signatures']);
    assert.equal(envelope.payloadType, TYPE);
    assert.deepEqual(
      envelope.signatures.map((s: { keyid: string }) => s.keyid),
      [alice.keyId],
    );
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    assert.match(statement.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(statement.issuer, {
      name: 'Dana Reyes',
      organization: 'Example Corp',
      contact: 'sec@example.com',
    });
    assert.deepEqual(statement.exclude, ['admin.example.com', '192.0.2.1']);
    assert.equal(statement.not_before, '2026-12-01T00:00:00Z');
    assert.equal(statement.not_after, '2026-12-31T23:59:59Z');
  });

  it('writes not_before as now to the second and reads durations', async () => {
    const out = join(dir, 'durations.json');
    const before = Math.floor(Date.now() / 1000) * 1000;
    const r = await runCli([
      'authz',
      'create',
      '--scope',
      's',
      '--target',
      'example.com',
      '--capability',
      'PortScan',
      '--not-after',
      '72h',
      '--key',
      alice.key,
      '-o',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const statement = JSON.parse(
      Buffer.from(JSON.parse(await readFile(out, 'utf8')).payload, 'base64').toString(),
    );
    const notBefore = Date.parse(statement.not_before);
    assert.match(statement.not_before, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(notBefore >= before && notBefore <= Date.now());
    assert.equal(Date.parse(statement.not_after) - notBefore, 72 * 3600_000);
    assert.equal(statement.plugins, undefined);
  });

  it('never overwrites: ALREADY_EXISTS (4), the file unchanged', async () => {
    const was = await readFile(single);
    const r = await runCli(['authz', 'create', ...CREATE, '--key', bob.key, '-o', single, '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    assert.deepEqual(await readFile(single), was);
  });

  for (const bad of ['exa mple.com', '300.1.1.1', '10.0.0.0/33', 'ftp://x']) {
    it(`refuses the target ${JSON.stringify(bad)}: AUTHORIZATION_MALFORMED (3), nothing written`, async () => {
      const out = join(dir, 'never.json');
      const r = await runCli([
        'authz',
        'create',
        '--scope',
        's',
        '--target',
        'example.com',
        bad,
        '--capability',
        'PortScan',
        '--not-after',
        '1d',
        '--key',
        alice.key,
        '-o',
        out,
        '--json',
      ]);
      assertCliError(r, 3, 'AUTHORIZATION_MALFORMED');
      assert.match(r.json.error.message, /\/payload\/targets\/1/);
      await assert.rejects(stat(out));
    });
  }

  it('refuses bad flags with USAGE (2)', async () => {
    const base = [
      'authz',
      'create',
      '--scope',
      's',
      '--target',
      'example.com',
      '-o',
      join(dir, 'never.json'),
      '--json',
    ];
    assertCliError(
      await runCli([...base, '--capability', 'PortScan', '--not-after', 'next week', '--key', alice.key]),
      2,
      'USAGE',
    );
    assertCliError(
      await runCli([...base, '--capability', 'Exploit', '--not-after', '1d', '--key', alice.key]),
      2,
      'USAGE',
    );
    assertCliError(
      await runCli([
        ...base,
        '--capability',
        'PortScan',
        '--not-after',
        '2020-01-01T00:00:00Z',
        '--key',
        alice.key,
      ]),
      2,
      'USAGE',
    );
    assertCliError(
      await runCli([...base, '--capability', 'PortScan', '--not-after', '1d'], {
        env: { AURION_SIGNING_KEY: undefined },
      }),
      2,
      'USAGE',
    );
    await assert.rejects(stat(join(dir, 'never.json')));
  });

  it('takes the key from AURION_SIGNING_KEY', async () => {
    const out = join(dir, 'env.json');
    const r = await runCli(
      [
        'authz',
        'create',
        '--scope',
        's',
        '--target',
        'example.com',
        '--capability',
        'PortScan',
        '--not-after',
        '1d',
        '-o',
        out,
        '--json',
      ],
      {
        env: { AURION_SIGNING_KEY: await readFile(bob.key, 'utf8') },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.key_id, bob.keyId);
  });
});

describe('authz sign', () => {
  it('adds a co-signature without re-encoding the payload; the same key twice is a no-op', async () => {
    const one = JSON.parse(await readFile(single, 'utf8'));
    const two = JSON.parse(await readFile(double, 'utf8'));
    assert.equal(two.payload, one.payload);
    assert.deepEqual(
      two.signatures.map((s: { keyid: string }) => s.keyid),
      [alice.keyId, bob.keyId],
    );
    const before = await readFile(double);
    const r = await runCli(['authz', 'sign', double, '--key', bob.key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.added, false);
    assert.deepEqual(await readFile(double), before);
  });

  it('refuses a malformed envelope (3) and an unreadable one (4), writing nothing', async () => {
    const bad = join(dir, 'bad-sign.json');
    const text = (await readFile(single, 'utf8')).replace(TYPE, 'text/plain');
    await writeFile(bad, text);
    assertCliError(
      await runCli(['authz', 'sign', bad, '--key', bob.key, '--json']),
      3,
      'AUTHORIZATION_MALFORMED',
    );
    assert.equal(await readFile(bad, 'utf8'), text);
    assertCliError(
      await runCli(['authz', 'sign', join(dir, 'missing.json'), '--key', bob.key, '--json']),
      4,
      'IO_ERROR',
    );
  });
});

describe('authz sign: co-signers at once', () => {
  const keyIds = async (file: string) =>
    JSON.parse(await readFile(file, 'utf8')).signatures.map((s: { keyid: string }) => s.keyid);

  it('a co-sign waits for the lock beside the file, then signs what the holder wrote (also through a link)', async () => {
    const file = join(dir, 'locked.json');
    await writeFile(file, await readFile(single));
    // What a co-signer holding the lock writes meanwhile: mallory's signature added to alice's.
    const withMallory = join(dir, 'locked-mallory.json');
    await writeFile(withMallory, await readFile(single));
    assert.equal((await runCli(['authz', 'sign', withMallory, '--key', mallory.key])).code, 0);
    const link = join(dir, 'locked-link.json');
    await symlink(file, link);

    const lock = await acquireLock(`${file}.lock`);
    let exited = false;
    const cosign = runCli(['authz', 'sign', link, '--key', bob.key, '--json']).finally(() => {
      exited = true;
    });
    await new Promise((ok) => setTimeout(ok, 1000));
    assert.equal(exited, false, 'the co-sign did not wait for the lock');
    assert.deepEqual(await keyIds(file), [alice.keyId]);
    await writeFile(file, await readFile(withMallory));
    await lock.release();

    const r = await cosign;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.added, true);
    assert.deepEqual(r.json.signatures, [alice.keyId, mallory.keyId, bob.keyId]);
    assert.deepEqual(await keyIds(file), [alice.keyId, mallory.keyId, bob.keyId]);
    assert.equal((await readdir(dir)).filter((n) => n.includes('locked.json.lock')).length, 0);
  });

  it('takes over the lock of a co-signer that died, and leaves no lock behind', async () => {
    const file = join(dir, 'stale.json');
    await writeFile(file, await readFile(single));
    await writeFile(`${file}.lock`, lockRecord(await deadPid()));
    const r = await runCli(['authz', 'sign', file, '--key', bob.key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await keyIds(file), [alice.keyId, bob.keyId]);
    assert.equal((await readdir(dir)).filter((n) => n.includes('stale.json')).length, 1);
  });

  it('a live co-signer keeping the lock past the timeout: IO_ERROR naming it, the file unchanged', async () => {
    const file = join(dir, 'busy.json');
    await writeFile(file, await readFile(single));
    const record = lockRecord(process.ppid); // the test runner's parent: alive for the whole test
    await writeFile(`${file}.lock`, record);
    const key = loadPrivateKey(await readFile(bob.key), undefined, bob.key);
    const err = await expectAurionError(
      () => signAuthorizationFile(file, key, { lockTimeoutMs: 50 }),
      'IO_ERROR',
    );
    assert.match(
      err.message,
      new RegExp(`^cannot co-sign .*busy\\.json: pid ${process.ppid} on host .* is co-signing it`),
    );
    assert.match(
      err.hint ?? '',
      /^retry when that co-sign is done; if no such process is running any more, remove .*busy\.json\.lock$/,
    );
    assert.deepEqual(await keyIds(file), [alice.keyId]);
    assert.equal(await readFile(`${file}.lock`, 'utf8'), record);
  });
});

describe('OpenSSL verifies every signature over the PAE bytes', () => {
  it('pkeyutl -verify -rawin accepts each signature and refuses a changed payload', async () => {
    const envelope = JSON.parse(await readFile(double, 'utf8'));
    const payload = Buffer.from(envelope.payload, 'base64');
    // PAE built here by hand, not with the project's pae(): "DSSEv1" SP len(type) SP type SP len(body) SP body
    const paeBytes = Buffer.concat([
      Buffer.from(`DSSEv1 ${TYPE.length} ${TYPE} ${payload.length} `),
      payload,
    ]);
    const pubOf = new Map([
      [alice.keyId, alice.pub],
      [bob.keyId, bob.pub],
    ]);
    assert.equal(envelope.signatures.length, 2);
    for (const s of envelope.signatures) {
      const sig = Buffer.from(s.sig, 'base64');
      assert.equal(await opensslVerifies(pubOf.get(s.keyid)!, paeBytes, sig, dir), true, s.keyid);
      const changed = Buffer.from(paeBytes);
      changed[changed.length - 3]! ^= 1;
      assert.equal(await opensslVerifies(pubOf.get(s.keyid)!, changed, sig, dir), false);
    }
    assert.equal(sha256Hex(payload).length, 64);
  });
});

describe('authz verify: every coverage rule', () => {
  it('covers a job inside the authorization: exit 0, {ok, id, signers}', async () => {
    const r = await verify();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(r.json).sort(), ['id', 'ok', 'signers']);
    assert.equal(r.json.ok, true);
    assert.match(r.json.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(r.json.signers, [alice.keyId]);
  });

  const covered = [
    'example.com',
    'EXAMPLE.COM.',
    'a.b.example.com',
    'x.admin.example.com',
    '192.0.2.77',
    '::ffff:192.0.2.77',
    '192.0.2.128/25',
    '2001:db8::1',
    'https://app.example.net/api/v1',
    'https://app.example.net:443/api/',
    'https://www.example.com:8443/anything',
    'xn--bcher-kva.de',
    'BÜCHER.de',
  ];
  for (const target of covered) {
    it(`covers the target ${target}`, async () => {
      const r = await verify({ target });
      assert.equal(r.code, 0, r.stderr);
    });
  }

  const notCovered: Array<[string, string]> = [
    ['example.org', 'target'],
    ['example.com.evil.net', 'target'],
    ['192.0.3.1', 'target'],
    ['192.0.2.0/23', 'target'],
    ['2001:db9::1', 'target'],
    ['app.example.net', 'target'],
    ['https://app.example.net/apix', 'target'],
    ['https://app.example.net/api', 'target'],
    ['http://app.example.net/api/v1', 'target'],
    ['https://app.example.net:8443/api/v1', 'target'],
    ['admin.example.com', 'exclude'],
    ['ADMIN.example.com.', 'exclude'],
    ['https://admin.example.com/login', 'exclude'],
    ['192.0.2.1', 'exclude'],
    ['::ffff:192.0.2.1', 'exclude'],
    ['192.0.2.0/30', 'exclude'],
  ];
  for (const [target, rule] of notCovered) {
    it(`denies the target ${target} by rule "${rule}"`, async () => {
      await expectDenied({ target }, rule);
    });
  }

  it('denies outside the time window, inclusive bounds', async () => {
    await expectDenied({ at: '2026-11-30T23:59:59Z' }, 'time window');
    await expectDenied({ at: '2027-01-01T00:00:00Z' }, 'time window');
    await expectDenied({ at: '2027-01-01T01:00:00+01:00' }, 'time window');
    assert.equal((await verify({ at: '2026-12-01t00:00:00z' })).code, 0);
    assert.equal((await verify({ at: '2027-01-01T00:59:59+01:00' })).code, 0);
  });

  it('denies another scope, another plugin, an unlisted Medium/High capability; Low ones need no listing', async () => {
    await expectDenied({ scope: 'engagement-43' }, 'scope');
    await expectDenied({ plugin: 'zap-scanner' }, 'plugin');
    await expectDenied({ capabilities: ['PortScan', 'Fuzz'] }, 'capabilities');
    assert.equal((await verify({ capabilities: ['PassiveEnum', 'PortScan'] })).code, 0);
  });

  it('names the first failed rule in SPEC order', async () => {
    const r = await expectDenied(
      { scope: 'other', plugin: 'zap', target: 'admin.example.com', at: '2027-02-01T00:00:00Z' },
      'time window',
    );
    assert.equal(r.json.signers.length, 1);
    await expectDenied(
      { scope: 'other', target: 'admin.example.com', trust: ['--trusted-authorizer', mallory.pub] },
      'signatures and threshold',
    );
  });

  for (const target of [
    'exa mple.com',
    '300.1.1.1',
    '10.0.0.0/33',
    'ftp://x',
    '*.example.com',
    'https://u@example.com/',
  ]) {
    it(`refuses the job target ${JSON.stringify(target)}: REQUEST_INVALID (3)`, async () => {
      assertCliError(await verify({ target }), 3, 'REQUEST_INVALID');
    });
  }
});

describe('authz verify: trust', () => {
  it('without authorizer trust is USAGE (2), also with a policy that lists none', async () => {
    assertCliError(await verify({ trust: [] }), 2, 'USAGE');
    const old = await writePolicy('old-policy.json', {
      keys: [{ key_id: alice.keyId, public_key_file: alice.pub }],
    });
    assertCliError(await verify({ trust: ['--trust-policy', old] }), 2, 'USAGE');
    // the same old policy keeps working for plugin verification rules, and combines with the flag
    assert.equal(
      (await verify({ trust: ['--trust-policy', old, '--trusted-authorizer', alice.pub] })).code,
      0,
    );
  });

  it('ignores a key that is not a trusted authorizer, and a plugin-signing key', async () => {
    const r = await expectDenied(
      { trust: ['--trusted-authorizer', mallory.pub] },
      'signatures and threshold',
    );
    assert.match(r.json.error.message, /0 of 1/);
    const signersOnly = await writePolicy('signers-only.json', {
      keys: [{ key_id: alice.keyId, public_key_file: alice.pub }],
      authorizers: [authorizer(mallory)],
    });
    await expectDenied({ trust: ['--trust-policy', signersOnly] }, 'signatures and threshold');
  });

  it('the two-person rule: authorization_thresholds {"High": 2}', async () => {
    const policy = await writePolicy('two-person.json', {
      authorizers: [authorizer(alice), authorizer(bob)],
      authorization_thresholds: { High: 2 },
    });
    const denied = await expectDenied({ trust: ['--trust-policy', policy] }, 'signatures and threshold');
    assert.match(denied.json.error.message, /1 of 2/);
    const r = await verify({ file: double, trust: ['--trust-policy', policy] });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.signers, [alice.keyId, bob.keyId]);
    // Medium keeps its default of 1
    assert.equal((await verify({ capabilities: ['PortScan'], trust: ['--trust-policy', policy] })).code, 0);
  });

  it('revoked, expired, out-of-scope and too-low-class authorizers do not count', async () => {
    const policies = [
      {
        authorizers: [authorizer(alice), authorizer(bob)],
        revoked: [bob.keyId],
        authorization_thresholds: { High: 2 },
      },
      { authorizers: [authorizer(alice, { expires: '2026-12-05T00:00:00Z' })] },
      { authorizers: [authorizer(alice, { scopes: ['engagement-1*', 'red-team-*'] })] },
      { authorizers: [authorizer(alice, { max_risk_class: 'Medium' })] },
    ];
    for (const [i, p] of policies.entries()) {
      const policy = await writePolicy(`deny-${i}.json`, p);
      await expectDenied({ file: double, trust: ['--trust-policy', policy] }, 'signatures and threshold');
    }
    const scoped = await writePolicy('scoped.json', {
      authorizers: [authorizer(alice, { scopes: ['engagement-4?'] })],
    });
    assert.equal((await verify({ trust: ['--trust-policy', scoped] })).code, 0);
    const medium = await writePolicy('medium.json', {
      authorizers: [authorizer(alice, { max_risk_class: 'Medium' })],
    });
    assert.equal((await verify({ capabilities: ['PortScan'], trust: ['--trust-policy', medium] })).code, 0);
  });

  it('a policy entry whose key_id is not its key is POLICY_INVALID (3)', async () => {
    const policy = await writePolicy('wrong-id.json', {
      authorizers: [{ key_id: bob.keyId, public_key_file: alice.pub }],
    });
    assertCliError(await verify({ trust: ['--trust-policy', policy] }), 3, 'POLICY_INVALID');
    const bad = await writePolicy('bad-threshold.json', {
      authorizers: [authorizer(alice)],
      authorization_thresholds: { High: 0 },
    });
    assertCliError(await verify({ trust: ['--trust-policy', bad] }), 3, 'POLICY_INVALID');
  });

  it('--plugin BUNDLE: the bundle names the plugin; risk_class_overrides choose the threshold', async () => {
    const bundle = join(dir, 'nuclei-http.aurion');
    const module = moduleBytes('nuclei');
    const manifest = {
      schema_version: 1,
      name: 'nuclei-http',
      version: '1.0.0',
      capabilities: ['PortScan'],
      risk_class: 'Medium',
      runtime: 'wasm',
      module: { path: 'module.wasm', sha256: sha256Hex(module), size: module.length },
    };
    await writeStreamAtomic(bundle, (out) =>
      writeBundle(out, {
        manifestBytes: Buffer.from(JSON.stringify(manifest)),
        mtime: 0,
        module: { size: module.length, open: () => Readable.from([module]) },
      }).then(() => {}),
    );
    const args = (trust: string[]) => [
      'authz',
      'verify',
      single,
      '--scope',
      'engagement-42',
      '--target',
      'example.com',
      '--plugin',
      bundle,
      '--at',
      AT,
      ...trust,
      '--json',
    ];
    const plain = await writePolicy('plain.json', {
      authorizers: [authorizer(alice), authorizer(bob)],
      authorization_thresholds: { High: 2 },
    });
    assert.equal((await runCli(args(['--trust-policy', plain]))).code, 0);
    const override = await writePolicy('override.json', {
      authorizers: [authorizer(alice), authorizer(bob)],
      authorization_thresholds: { High: 2 },
      risk_class_overrides: { 'nuclei-http': 'High' },
    });
    const r = await runCli(args(['--trust-policy', override]));
    assertCliError(r, 1, 'AUTHORIZATION_DENIED');
    assert.match(r.json.error.message, /1 of 2 .* risk class High/);
    assertCliError(
      await runCli([...args(['--trusted-authorizer', alice.pub]), '--plugin-name', 'x']),
      2,
      'USAGE',
    );
  });
});

describe('authz verify: malformed authorizations are AUTHORIZATION_MALFORMED (3) with a JSON pointer', () => {
  const mutate = async (name: string, change: (text: string) => string | Buffer) => {
    const path = join(dir, name);
    await writeFile(path, change(await readFile(single, 'utf8')));
    return path;
  };
  const cases: Array<[string, (text: string) => string | Buffer, string]> = [
    ['not JSON', (t) => t.slice(0, 40), ''],
    ['a BOM', (t) => `\ufeff${t}`, ''],
    ['duplicate keys', (t) => t.replace('{', `{"payloadType": "${TYPE}",`), '/payloadType'],
    ['a wrong payloadType', (t) => t.replace(TYPE, 'application/vnd.in-toto+json'), '/payloadType'],
    ['bad base64', (t) => t.replace(/"payload": "/, '"payload": "!'), '/payload'],
    ['a bad signature encoding', (t) => t.replace(/"sig": "[^"]+"/, '"sig": "AAAA"'), '/signatures/0/sig'],
    [
      'a schema violation in the statement',
      (t) => {
        const doc = JSON.parse(t);
        const statement = JSON.parse(Buffer.from(doc.payload, 'base64').toString());
        doc.payload = Buffer.from(JSON.stringify({ ...statement, capabilities: [] })).toString('base64');
        return JSON.stringify(doc);
      },
      '/payload/capabilities',
    ],
    [
      'an invalid target entry',
      (t) => {
        const doc = JSON.parse(t);
        const statement = JSON.parse(Buffer.from(doc.payload, 'base64').toString());
        doc.payload = Buffer.from(JSON.stringify({ ...statement, exclude: ['10.0.0.0/33'] })).toString(
          'base64',
        );
        return JSON.stringify(doc);
      },
      '/payload/exclude/0',
    ],
    ['a huge file', (t) => Buffer.concat([Buffer.from(t), Buffer.alloc(1024 * 1024 + 1, 0x20)]), ''],
  ];
  for (const [name, change, pointer] of cases) {
    it(name, async () => {
      const path = await mutate(`malformed-${name.replace(/\W+/g, '-')}.json`, change);
      const r = await verify({ file: path });
      assertCliError(r, 3, 'AUTHORIZATION_MALFORMED');
      assert.equal(r.json.id, null);
      assert.deepEqual(r.json.signers, []);
      if (pointer !== '') assert.ok(r.json.error.message.includes(`${pointer} `), r.json.error.message);
    });
  }
});

describe('authz inspect', () => {
  it('shows the statement and each signature, with verdicts when trust is given', async () => {
    const plain = await runCli(['authz', 'inspect', double]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /scope: +engagement-42/);
    assert.match(plain.stdout, new RegExp(`key ${bob.keyId}\\n`));
    const judged = await runCli(['authz', 'inspect', double, '--trusted-authorizer', alice.pub, '--json']);
    assert.equal(judged.code, 0, judged.stderr);
    assert.equal(judged.json.statement.scope_id, 'engagement-42');
    assert.equal(judged.json.risk_class, 'High');
    assert.deepEqual(
      judged.json.signatures.map((s: { keyid: string; verdict: string }) => [s.keyid, s.verdict]),
      [
        [alice.keyId, 'counted'],
        [bob.keyId, 'unknown key'],
      ],
    );
    const text = await runCli([
      'authz',
      'inspect',
      double,
      '--trusted-authorizer',
      alice.pub,
      '--at',
      '2027-06-01T00:00:00Z',
    ]);
    assert.match(text.stdout, /counts/);
  });

  it('escapes control characters from the statement', async () => {
    const out = join(dir, 'ctrl.json');
    const r = await runCli([
      'authz',
      'create',
      '--scope',
      's',
      '--target',
      'example.com',
      '--capability',
      'PortScan',
      '--not-after',
      '1d',
      '--issuer-name',
      'Eve\x1b[2J',
      '--key',
      alice.key,
      '-o',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const shown = await runCli(['authz', 'inspect', out]);
    assert.ok(!shown.stdout.includes('\x1b'));
    assert.match(shown.stdout, /Eve\\x1b\[2J/);
  });
});
