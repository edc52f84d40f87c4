import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  basicAuthorization,
  credentialsFromDockerConfig,
  lookupCredentials,
  normalizeAuthKey,
  parseChallenges,
} from '../../src/registry/auth.js';
import { describeRefusal, explainConnectionError } from '../../src/registry/http.js';
import { expectAurionError, tempDir } from '../helpers.js';

describe('WWW-Authenticate challenges', () => {
  it('reads Bearer parameters, quoted values with commas and escapes included', () => {
    assert.deepEqual(
      parseChallenges(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.example/token',
            service: 'registry.example',
            scope: 'repository:a/b:pull,push',
          },
        },
      ],
    );
    assert.deepEqual(parseChallenges('Basic realm="say \\"hi\\""'), [
      { scheme: 'basic', params: { realm: 'say "hi"' } },
    ]);
  });

  it('reads several challenges in one header, and unquoted values', () => {
    assert.deepEqual(parseChallenges('Basic realm=simple, Bearer realm="https://t/x", error=invalid_token'), [
      { scheme: 'basic', params: { realm: 'simple' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', error: 'invalid_token' } },
    ]);
    assert.deepEqual(parseChallenges(''), []);
  });
});

describe('registry credentials', () => {
  const auth = Buffer.from('alice:pa:ss').toString('base64');

  it('match Docker config keys with or without scheme and path', () => {
    assert.equal(normalizeAuthKey('https://ghcr.io/v2/'), 'ghcr.io');
    assert.equal(normalizeAuthKey('Localhost:5000'), 'localhost:5000');
    assert.equal(normalizeAuthKey('https://index.docker.io/v1/'), 'docker.io');
    const found = credentialsFromDockerConfig(
      JSON.stringify({ auths: { 'https://localhost:5000/v1/': { auth } } }),
      'cfg.json',
      'localhost:5000',
    );
    assert.equal(found.credentials?.username, 'alice');
    assert.equal(found.credentials?.password, 'pa:ss');
    assert.match(found.credentials?.source ?? '', /cfg\.json/);
    assert.equal(basicAuthorization(found.credentials!), `Basic ${auth}`);
  });

  it('report credential helpers they cannot use, and reject a malformed auth field', async () => {
    const helper = credentialsFromDockerConfig(
      JSON.stringify({ credsStore: 'desktop' }),
      'cfg.json',
      'ghcr.io',
    );
    assert.equal(helper.credentials, undefined);
    assert.match(helper.note ?? '', /docker-credential-desktop/);
    const bad = JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('nocolon').toString('base64') } } });
    const err = await expectAurionError(
      () => credentialsFromDockerConfig(bad, 'cfg.json', 'ghcr.io'),
      'REGISTRY_ERROR',
    );
    assert.doesNotMatch(err.message, /nocolon/);
    await expectAurionError(() => credentialsFromDockerConfig('{', 'cfg.json', 'ghcr.io'), 'REGISTRY_ERROR');
  });

  it('come from the environment first, then $DOCKER_CONFIG or $HOME/.docker/config.json', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, '.docker'));
    await writeFile(
      join(dir, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'reg.example': { auth } } }),
    );
    const env = { AURION_REGISTRY_USERNAME: 'env-user', AURION_REGISTRY_PASSWORD: 'x', HOME: dir };
    assert.equal((await lookupCredentials('reg.example', env)).credentials?.username, 'env-user');
    assert.equal((await lookupCredentials('reg.example', { HOME: dir })).credentials?.username, 'alice');
    assert.deepEqual(await lookupCredentials('other.example', { HOME: dir }), {});
    assert.equal(
      (await lookupCredentials('reg.example', { HOME: '/nonexistent', DOCKER_CONFIG: join(dir, '.docker') }))
        .credentials?.username,
      'alice',
    );
    assert.deepEqual(await lookupCredentials('reg.example', {}), {});
    await expectAurionError(
      () => lookupCredentials('reg.example', { AURION_REGISTRY_USERNAME: 'only' }),
      'USAGE',
    );
  });
});

describe('registry refusals', () => {
  it('carry the registry message from OCI error JSON, token server JSON or text', () => {
    assert.equal(
      describeRefusal(Buffer.from('{"errors":[{"code":"DENIED","message":"access denied"},{"code":"X"}]}')),
      'access denied (DENIED); X',
    );
    assert.equal(
      describeRefusal(Buffer.from('{"details":"incorrect username or password"}')),
      'incorrect username or password',
    );
    assert.equal(describeRefusal(Buffer.from('<html>Bad gateway</html>\n')), '<html>Bad gateway</html>');
    assert.equal(describeRefusal(Buffer.alloc(0)), undefined);
  });
});

describe('connection failures', () => {
  const err = (code: string, message: string) => Object.assign(new Error(message), { code });
  it('say what to do about plain HTTP, untrusted certificates and unknown hosts', () => {
    assert.match(
      explainConnectionError(err('EPROTO', 'ssl3_get_record:wrong version number')).hint,
      /--plain-http/,
    );
    const cert = explainConnectionError(err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in chain'));
    assert.match(cert.reason, /not trusted/);
    assert.match(cert.hint, /NODE_EXTRA_CA_CERTS/);
    assert.match(
      explainConnectionError(err('ENOTFOUND', 'getaddrinfo ENOTFOUND nope.example')).reason,
      /no such host/,
    );
    assert.equal(
      explainConnectionError(err('ECONNREFUSED', 'connect ECONNREFUSED')).reason,
      'connect ECONNREFUSED',
    );
  });
});
