/** run's capability gating (SPEC §8-§9), through the real CLI, with authorizations made by `authz create`. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateEd25519KeyPair } from '../../src/core/keys.js';
import { assertCliError, runCli, tempDir } from '../helpers.js';
import { CORRECT, JOB, JOB_FLAGS, PUB, pluginBundle } from '../ops/run-fixtures.js';

const TRUST = ['--trusted-key', PUB];
const MEDIUM = { capabilities: ['PortScan'], risk_class: 'Medium' };

async function setup(t: Parameters<typeof tempDir>[0], manifest: Record<string, unknown> = MEDIUM) {
  const dir = await tempDir(t);
  const bundle = await pluginBundle(join(dir, 'plugin'), CORRECT, manifest);
  const pair = generateEd25519KeyPair();
  const key = join(dir, 'authorizer.key');
  const pub = join(dir, 'authorizer.pub');
  await writeFile(key, pair.privatePem, { mode: 0o600 });
  await writeFile(pub, pair.publicPem);
  /** An authorization signed by the authorizer key; `extra` replaces the defaults (scope, target, ...). */
  const authorization = async (name: string, extra: string[] = []) => {
    const out = join(dir, `${name}.json`);
    const has = (flag: string) => extra.includes(flag);
    const r = await runCli([
      'authz',
      'create',
      ...(has('--scope') ? [] : ['--scope', JOB.scopeId]),
      ...(has('--target') ? [] : ['--target', '*.com', 'example.com']),
      ...(has('--capability') ? [] : ['--capability', 'PortScan']),
      '--not-after',
      '1h',
      ...extra,
      '--key',
      key,
      '-o',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return out;
  };
  return { bundle, pub, keyId: pair.keyId, authorization };
}

describe('run: capability gating', () => {
  it('a Medium plugin without an authorization: AUTHORIZATION_REQUIRED, whatever trust is given', async (t) => {
    const { bundle, pub } = await setup(t);
    assertCliError(
      await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--json']),
      1,
      'AUTHORIZATION_REQUIRED',
    );
    const r = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--trusted-authorizer', pub, '--json']);
    assertCliError(r, 1, 'AUTHORIZATION_REQUIRED');
  });

  it('runs with a covering authorization and reports it', async (t) => {
    const { bundle, pub, keyId, authorization } = await setup(t);
    const file = await authorization('ok');
    const r = await runCli([
      'run',
      bundle,
      ...TRUST,
      ...JOB_FLAGS,
      '--authorization',
      file,
      '--trusted-authorizer',
      pub,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.plugin.effective_risk_class, 'Medium');
    assert.deepEqual(r.json.authorization.signers, [keyId]);
    const statement = JSON.parse(
      Buffer.from(JSON.parse(await readFile(file, 'utf8')).payload, 'base64').toString('utf8'),
    );
    assert.equal(r.json.authorization.id, statement.id);
  });

  it('an authorization that does not cover the job: AUTHORIZATION_DENIED, nothing runs', async (t) => {
    const { bundle, pub, authorization } = await setup(t);
    const cases: Array<[string[], RegExp]> = [
      [['--scope', 'other-scope'], /scope/],
      [['--target', 'other.example'], /target/],
      [['--exclude', 'example.com'], /exclude/],
      [['--plugin', 'nuclei-*'], /plugin/],
    ];
    for (const [extra, rule] of cases) {
      const file = await authorization(`denied-${cases.findIndex((c) => c[0] === extra)}`, extra);
      const r = await runCli([
        'run',
        bundle,
        ...TRUST,
        ...JOB_FLAGS,
        '--authorization',
        file,
        '--trusted-authorizer',
        pub,
        '--json',
      ]);
      assertCliError(r, 1, 'AUTHORIZATION_DENIED');
      assert.match(r.json.error.message, rule);
    }
    // Signed by a key that is not a trusted authorizer (the plugin signer's key is not one either).
    const file = await authorization('untrusted');
    const r = await runCli([
      'run',
      bundle,
      ...TRUST,
      ...JOB_FLAGS,
      '--authorization',
      file,
      '--trusted-authorizer',
      PUB,
      '--json',
    ]);
    assertCliError(r, 1, 'AUTHORIZATION_DENIED');
  });

  it('an authorization to check without authorizer trust: USAGE; a malformed one: AUTHORIZATION_MALFORMED', async (t) => {
    const { bundle, pub, authorization } = await setup(t);
    const file = await authorization('ok');
    assertCliError(
      await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--authorization', file, '--json']),
      2,
      'USAGE',
    );
    const bad = join(await tempDir(t), 'bad.json');
    await writeFile(bad, '{"payloadType": "x"}');
    assertCliError(
      await runCli([
        'run',
        bundle,
        ...TRUST,
        ...JOB_FLAGS,
        '--authorization',
        bad,
        '--trusted-authorizer',
        pub,
        '--json',
      ]),
      3,
      'AUTHORIZATION_MALFORMED',
    );
  });

  it("takes the request's authorizationBundle; --authorization wins over it", async (t) => {
    const { bundle, pub, authorization } = await setup(t);
    const good = await readFile(await authorization('good'), 'utf8');
    const otherScope = await readFile(await authorization('other', ['--scope', 'elsewhere']), 'utf8');
    const request = (authorizationBundle: string) =>
      JSON.stringify({
        jobId: JOB.jobId,
        pluginName: 'dns-enum',
        version: '1.2.0',
        target: JOB.target,
        serializedConfig: JOB.config,
        scopeId: JOB.scopeId,
        authorizationBundle,
      });
    const args = ['run', bundle, ...TRUST, '--request', '-', '--trusted-authorizer', pub, '--json'];
    const ok = await runCli(args, { input: request(good) });
    assert.equal(ok.code, 0, ok.stderr);
    assertCliError(await runCli(args, { input: request(otherScope) }), 1, 'AUTHORIZATION_DENIED');
    const flagFile = join(await tempDir(t), 'flag.json');
    await writeFile(flagFile, good);
    const wins = await runCli([...args, '--authorization', flagFile], { input: request(otherScope) });
    assert.equal(wins.code, 0, wins.stderr);
  });

  it('a Low plugin needs none, but one given is still checked', async (t) => {
    const { bundle, pub, authorization } = await setup(t, {});
    const none = await runCli(['run', bundle, ...TRUST, ...JOB_FLAGS, '--json']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.json.authorization, null);
    const file = await authorization('other', ['--scope', 'elsewhere']);
    const r = await runCli([
      'run',
      bundle,
      ...TRUST,
      ...JOB_FLAGS,
      '--authorization',
      file,
      '--trusted-authorizer',
      pub,
      '--json',
    ]);
    assertCliError(r, 1, 'AUTHORIZATION_DENIED');
  });

  it('a job target that is not a host, IP, CIDR or URL: REQUEST_INVALID', async (t) => {
    const { bundle } = await setup(t, {});
    for (const target of ['*.example.com', 'not a host', 'https://user@example.com/']) {
      const r = await runCli([
        'run',
        bundle,
        ...TRUST,
        '--target',
        target,
        '--config',
        '{}',
        '--scope',
        's',
        '--json',
      ]);
      assertCliError(r, 3, 'REQUEST_INVALID');
    }
  });
});
