import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { writeBundleFile } from '../fixtures/bundles.js';
import { sha256 } from '../fixtures/digest.js';
import { wasmManifest } from '../fixtures/manifests.js';
import { TINY_WASM } from '../fixtures/modules.js';
import { fileSha, setup } from '../fixtures/registry.js';
import { assertCliError, runCli } from '../helpers.js';
import { startFakeRegistry } from '../registry/fake-registry.js';
import { startRegistry } from '../registry/reference-registry.js';

const run = promisify(execFile);

describe('publish and pull: OCI registry (end to end)', () => {
  it('round trip against the reference registry; skopeo reads the artifact', async (t) => {
    const reg = await startRegistry(t);
    const { dir, aliceKey, bundle } = await setup(t);
    const path = await bundle();
    const url = reg.url('aurion');
    const r = await runCli(['publish', path, '--registry', url, '--trusted-key', aliceKey, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const digest = await fileSha(path);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.name, 'dns-enum');
    assert.equal(r.json.version, '1.2.0');
    assert.equal(r.json.registry, url);
    assert.equal(r.json.sha256, digest);
    assert.equal(r.json.changed, true);
    assert.equal(r.json.reference, `${reg.authority}/aurion/dns-enum:1.2.0`);
    assert.match(r.json.digest, /^sha256:[0-9a-f]{64}$/);

    const { stdout } = await run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${reg.authority}/aurion/dns-enum:1.2.0`,
    ]);
    assert.equal(`sha256:${sha256(Buffer.from(stdout))}`, r.json.digest);
    const manifest = JSON.parse(stdout);
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.artifactType, 'application/vnd.aurion.plugin.v1');
    assert.equal(manifest.config.mediaType, 'application/vnd.aurion.plugin.manifest.v1+json');
    assert.equal(manifest.config.digest, `sha256:${sha256(wasmManifest(TINY_WASM, { version: '1.2.0' }))}`);
    assert.deepEqual(manifest.layers, [
      {
        mediaType: 'application/vnd.aurion.plugin.bundle.v1.tar+gzip',
        digest: `sha256:${digest}`,
        size: (await stat(path)).size,
        annotations: { 'org.opencontainers.image.title': 'dns-enum-1.2.0.aurion' },
      },
    ]);

    const again = await runCli(['publish', path, '--registry', url, '--trusted-key', aliceKey, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.changed, false);
    assert.equal(again.json.digest, r.json.digest);
    const other = await runCli([
      'publish',
      await bundle('1.2.0', { description: 'other bytes' }),
      '--registry',
      url,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(other, 4, 'VERSION_EXISTS');

    const out = join(dir, 'pulled.aurion');
    const p = await runCli([
      'pull',
      'dns-enum@1.2.0',
      '--registry',
      url,
      '-o',
      out,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.json.bundle, out);
    assert.equal(p.json.sha256, digest);
    assert.equal(p.json.digest, r.json.digest);
    assert.equal(p.json.verified, true);
    assert.deepEqual(await readFile(out), await readFile(path));
    const verify = await runCli(['verify', out, '--trusted-key', aliceKey]);
    assert.equal(verify.code, 0, verify.stderr);

    assertCliError(
      await runCli(['pull', 'dns-enum@2.0.0', '--registry', url, '--json'], { cwd: dir }),
      4,
      'NOT_FOUND',
    );
    const unsigned = await writeBundleFile(join(dir, 'unsigned.aurion'), {
      manifest: wasmManifest(TINY_WASM, { version: '3.0.0' }),
      module: TINY_WASM,
    });
    assertCliError(
      await runCli(['publish', unsigned, '--registry', url, '--trusted-key', aliceKey, '--json']),
      1,
      'UNSIGNED',
    );
  });

  it('Basic auth with credentials from the environment or ~/.docker/config.json; a wrong password is REGISTRY_ERROR', async (t) => {
    const reg = await startRegistry(t, { users: { alice: 'pa55word' } });
    const { dir, aliceKey, bundle } = await setup(t);
    const url = reg.url('team');
    const path = await bundle();
    const env = { AURION_REGISTRY_USERNAME: 'alice', AURION_REGISTRY_PASSWORD: 'pa55word', HOME: dir };
    const r = await runCli(['publish', path, '--registry', url, '--trusted-key', aliceKey, '--json'], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);

    const home = join(dir, 'home');
    await mkdir(join(home, '.docker'), { recursive: true });
    const auth = Buffer.from('alice:pa55word').toString('base64');
    await writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { [reg.authority]: { auth } } }),
    );
    const out = join(dir, 'out.aurion');
    const p = await runCli(['pull', 'dns-enum@1.2.0', '--registry', url, '-o', out, '--json'], {
      env: { HOME: home, AURION_REGISTRY_USERNAME: undefined, AURION_REGISTRY_PASSWORD: undefined },
    });
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(await readFile(out), await readFile(path));

    const wrong = await runCli(['pull', 'dns-enum@1.2.0', '--registry', url, '--json'], {
      cwd: dir,
      env: { AURION_REGISTRY_USERNAME: 'alice', AURION_REGISTRY_PASSWORD: 'nope', HOME: dir },
    });
    assertCliError(wrong, 4, 'REGISTRY_ERROR');
    assert.match(
      wrong.json.error.message,
      /refused the credentials from AURION_REGISTRY_USERNAME\/PASSWORD: .*UNAUTHORIZED/,
    );
    const anonymous = await runCli(['pull', 'dns-enum@1.2.0', '--registry', url, '--json'], {
      cwd: dir,
      env: {
        HOME: join(dir, 'empty-home'),
        AURION_REGISTRY_USERNAME: undefined,
        AURION_REGISTRY_PASSWORD: undefined,
      },
    });
    assertCliError(anonymous, 4, 'REGISTRY_ERROR');
    assert.match(anonymous.json.error.message, /requires authentication/);
  });

  it('retries a registry that answers 500 twice, then succeeds', async (t) => {
    const fake = await startFakeRegistry(t, { fail500: 2 });
    const { aliceKey, bundle } = await setup(t);
    const r = await runCli([
      'publish',
      await bundle(),
      '--registry',
      fake.url('ns'),
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.log.filter((l) => l.status === 500).length, 2);
    assert.ok(fake.manifests.has('ns/dns-enum:1.2.0'));
  });

  it('a registry serving corrupted blob bytes: DIGEST_MISMATCH (exit 1), nothing written', async (t) => {
    const fake = await startFakeRegistry(t, { corruptBlobs: true });
    const { dir, aliceKey, bundle } = await setup(t);
    const url = fake.url('ns');
    assert.equal(
      (await runCli(['publish', await bundle(), '--registry', url, '--trusted-key', aliceKey])).code,
      0,
    );
    const r = await runCli(['pull', 'dns-enum@1.2.0', '--registry', url, '--json'], { cwd: dir });
    assertCliError(r, 1, 'DIGEST_MISMATCH');
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith('dns-enum-1.2.0.aurion') || n.includes('aurion-tmp')),
      [],
    );
  });

  it('with trust flags, corrupted blob bytes are DIGEST_MISMATCH too (verified in the same pass), nothing written', async (t) => {
    const fake = await startFakeRegistry(t, { corruptBlobs: true });
    const { dir, aliceKey, bundle } = await setup(t);
    const url = fake.url('ns');
    assert.equal(
      (await runCli(['publish', await bundle(), '--registry', url, '--trusted-key', aliceKey])).code,
      0,
    );
    const r = await runCli(
      ['pull', 'dns-enum@1.2.0', '--registry', url, '--trusted-key', aliceKey, '--json'],
      {
        cwd: dir,
      },
    );
    assertCliError(r, 1, 'DIGEST_MISMATCH');
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith('dns-enum-1.2.0.aurion') || n.includes('aurion-tmp')),
      [],
    );
  });

  it('the Bearer token flow with credentials, against a fake token server', async (t) => {
    const fake = await startFakeRegistry(t, { bearer: { users: { ci: 'token-123' } } });
    const { dir, aliceKey, bundle } = await setup(t);
    const url = fake.url('org/plugins');
    const env = { AURION_REGISTRY_USERNAME: 'ci', AURION_REGISTRY_PASSWORD: 'token-123' };
    const r = await runCli(
      ['publish', await bundle(), '--registry', url, '--trusted-key', aliceKey, '--json'],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fake.tokenScopes.some((s) => s.includes('repository:org/plugins/dns-enum:pull,push')));
    const p = await runCli(['pull', 'dns-enum@1.2.0', '--registry', url, '--json'], { cwd: dir, env });
    assert.equal(p.code, 0, p.stderr);
    const denied = await runCli(['pull', 'dns-enum@1.2.0', '--registry', url, '--json'], {
      cwd: dir,
      env: { AURION_REGISTRY_USERNAME: 'ci', AURION_REGISTRY_PASSWORD: 'wrong' },
    });
    assertCliError(denied, 4, 'REGISTRY_ERROR');
    assert.match(denied.json.error.message, /incorrect username or password/);
  });

  it('a refusal carries the registry message (REGISTRY_ERROR, exit 4)', async (t) => {
    const fake = await startFakeRegistry(t, {
      refuseWith: { status: 403, code: 'DENIED', message: 'repository is read-only' },
    });
    const { aliceKey, bundle } = await setup(t);
    const r = await runCli([
      'publish',
      await bundle(),
      '--registry',
      fake.url('ns'),
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(r, 4, 'REGISTRY_ERROR');
    assert.match(r.json.error.message, /repository is read-only \(DENIED\)/);
  });

  it('HTTPS unless loopback or --plain-http: 0.0.0.0 reaches this host but is not loopback', async (t) => {
    const fake = await startFakeRegistry(t);
    const { aliceKey, bundle } = await setup(t);
    const url = `oci://0.0.0.0:${fake.port}/ns`;
    const path = await bundle();
    const tls = await runCli(['publish', path, '--registry', url, '--trusted-key', aliceKey, '--json']);
    assertCliError(tls, 4, 'REGISTRY_ERROR');
    assert.match(tls.json.error.message, /does not speak HTTPS/);
    assert.match(tls.stderr, /hint: .*--plain-http/);
    const plain = await runCli([
      'publish',
      path,
      '--registry',
      url,
      '--plain-http',
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(plain.code, 0, plain.stderr);
  });

  it('an unreachable registry is REGISTRY_ERROR (exit 4) after the retries', async (t) => {
    const { freePort } = await import('../registry/reference-registry.js');
    const { dir } = await setup(t);
    const r = await runCli(
      ['pull', 'dns-enum@1.2.0', '--registry', `oci://127.0.0.1:${await freePort()}/ns`, '--json'],
      {
        cwd: dir,
      },
    );
    assertCliError(r, 4, 'REGISTRY_ERROR');
    assert.match(r.json.error.message, /cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('a manifest that does not match the digest the registry claims: DIGEST_MISMATCH (exit 1)', async (t) => {
    const fake = await startFakeRegistry(t, { lieAboutManifestDigest: true });
    const { dir, aliceKey, bundle } = await setup(t);
    const url = fake.url('ns');
    assert.equal(
      (await runCli(['publish', await bundle(), '--registry', url, '--trusted-key', aliceKey])).code,
      0,
    );
    const r = await runCli(['pull', 'dns-enum@1.2.0', '--registry', url, '--json'], { cwd: dir });
    assertCliError(r, 1, 'DIGEST_MISMATCH');
  });

  it('a user name without a password is USAGE (exit 2) once the registry asks for credentials', async (t) => {
    const fake = await startFakeRegistry(t, { bearer: { users: { ci: 'x' } } });
    const { dir } = await setup(t);
    const r = await runCli(['pull', 'dns-enum@1.2.0', '--registry', fake.url('ns'), '--json'], {
      cwd: dir,
      env: { AURION_REGISTRY_USERNAME: 'ci', AURION_REGISTRY_PASSWORD: undefined },
    });
    assertCliError(r, 2, 'USAGE');
    assert.match(r.json.error.message, /AURION_REGISTRY_PASSWORD/);
  });

  it('malformed oci:// references are USAGE (exit 2)', async (t) => {
    const { aliceKey, bundle } = await setup(t);
    const r = await runCli([
      'publish',
      await bundle(),
      '--registry',
      'oci://Bad Host/ns',
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(r, 2, 'USAGE');
  });
});
