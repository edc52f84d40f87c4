import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseTokenResponse } from '../../src/registry/auth.js';
import { OciClient, type OciClientOptions } from '../../src/registry/oci.js';
import {
  AURION_MEDIA_TYPE,
  bundleLayer,
  downloadPlugin,
  imageManifest,
  type PluginArtifact,
  pushPlugin,
  resolvePlugin,
  tagOf,
} from '../../src/registry/oci-artifact.js';
import { type OciRef, parseRegistryRef } from '../../src/registry/reference.js';
import { sha256 } from '../fixtures/digest.js';
import { expectAurionError, tempDir } from '../helpers.js';
import { startFakeRegistry } from './fake-registry.js';
import { startRegistry } from './reference-registry.js';

const run = promisify(execFile);
const FAST_RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

async function artifact(dir: string, name: string, version: string, size = 1000): Promise<PluginArtifact> {
  const bytes = randomBytes(size);
  const path = join(dir, `${name}-${version}-${sha256(bytes).slice(0, 6)}.aurion`);
  await writeFile(path, bytes);
  return {
    name,
    version,
    manifestBytes: Buffer.from(JSON.stringify({ schema_version: 1, name, version })),
    bundle: { path, sha256: sha256(bytes), size },
  };
}

function client(url: string, options: Partial<OciClientOptions> = {}): OciClient {
  const ref = parseRegistryRef(url);
  assert.equal(ref.kind, 'oci');
  return new OciClient(ref as OciRef, {
    env: {},
    retry: FAST_RETRY,
    ...options,
  });
}

async function skopeoRaw(authority: string, repo: string, tag: string, extra: string[] = []) {
  const { stdout } = await run('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...extra,
    `docker://${authority}/${repo}:${tag}`,
  ]);
  return JSON.parse(stdout);
}

describe('OCI client against the reference registry', () => {
  it('pushes an artifact that skopeo reads back with the SPEC media types and digests, and pulls it', async (t) => {
    const reg = await startRegistry(t);
    const dir = await tempDir(t);
    const a = await artifact(dir, 'dns-enum', '1.2.0', 50_000);
    const c = client(reg.url('aurion/plugins'));
    t.after(() => c.close());
    const pushed = await pushPlugin(c, a);
    assert.equal(pushed.changed, true);
    assert.equal(pushed.reference, `${reg.authority}/aurion/plugins/dns-enum:1.2.0`);

    const raw = await skopeoRaw(reg.authority, 'aurion/plugins/dns-enum', '1.2.0');
    assert.equal(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(raw.artifactType, 'application/vnd.aurion.plugin.v1');
    assert.equal(raw.config.mediaType, 'application/vnd.aurion.plugin.manifest.v1+json');
    assert.equal(raw.config.digest, `sha256:${sha256(a.manifestBytes)}`);
    assert.equal(raw.config.size, a.manifestBytes.length);
    assert.equal(raw.layers.length, 1);
    assert.equal(raw.layers[0].mediaType, 'application/vnd.aurion.plugin.bundle.v1.tar+gzip');
    assert.equal(raw.layers[0].digest, `sha256:${a.bundle.sha256}`);
    assert.equal(raw.layers[0].size, a.bundle.size);
    assert.equal(raw.layers[0].annotations['org.opencontainers.image.title'], 'dns-enum-1.2.0.aurion');
    // The manifest digest we report is the digest of the bytes the registry serves.
    const { stdout } = await run('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${reg.authority}/aurion/plugins/dns-enum:1.2.0`,
    ]);
    assert.equal(`sha256:${sha256(Buffer.from(stdout))}`, pushed.digest);

    const out = join(dir, 'pulled.aurion');
    const pulled = await downloadPlugin(c, 'dns-enum', '1.2.0', out);
    assert.equal(pulled.sha256, a.bundle.sha256);
    assert.deepEqual(await readFile(out), await readFile(a.bundle.path));
  });

  it('same bytes again is a no-op; other bytes under the tag are VERSION_EXISTS; an unknown tag NOT_FOUND', async (t) => {
    const reg = await startRegistry(t);
    const dir = await tempDir(t);
    const c = client(reg.url('ns'));
    t.after(() => c.close());
    const a = await artifact(dir, 'dns-enum', '1.0.0');
    const first = await pushPlugin(c, a);
    const again = await pushPlugin(c, a);
    assert.deepEqual(again, { ...first, changed: false });
    const other = await artifact(dir, 'dns-enum', '1.0.0');
    const err = await expectAurionError(() => pushPlugin(c, other), 'VERSION_EXISTS');
    assert.match(err.message, new RegExp(`bundle sha256 ${a.bundle.sha256}`));
    assert.equal((await resolvePlugin(c, 'dns-enum', '1.0.0')).layer.sha256, a.bundle.sha256);
    await expectAurionError(() => resolvePlugin(c, 'dns-enum', '9.9.9'), 'NOT_FOUND');
    await expectAurionError(() => resolvePlugin(c, 'never-pushed', '1.0.0'), 'NOT_FOUND');
  });

  it('uploads large blobs in chunks (PATCH with Content-Range) that the registry reassembles', async (t) => {
    const reg = await startRegistry(t);
    const dir = await tempDir(t);
    const c = client(reg.url('ns'), { chunkSize: 64 * 1024 });
    t.after(() => c.close());
    const a = await artifact(dir, 'big-plugin', '2.0.0', 300_000);
    const seen: number[] = [];
    await pushPlugin(c, a, (done) => seen.push(done));
    assert.equal(seen.at(-1), a.bundle.size);
    const raw = await skopeoRaw(reg.authority, 'ns/big-plugin', '2.0.0');
    assert.equal(raw.layers[0].digest, `sha256:${a.bundle.sha256}`);
    const out = join(dir, 'out.aurion');
    await downloadPlugin(c, 'big-plugin', '2.0.0', out);
    assert.equal(sha256(await readFile(out)), a.bundle.sha256);
  });

  it('maps SemVer build metadata to a valid tag (+ becomes _)', async (t) => {
    const reg = await startRegistry(t);
    const dir = await tempDir(t);
    const c = client(reg.url('ns'));
    t.after(() => c.close());
    const a = await artifact(dir, 'dns-enum', '1.0.0+build.7');
    assert.equal(tagOf('1.0.0+build.7'), '1.0.0_build.7');
    await pushPlugin(c, a);
    const raw = await skopeoRaw(reg.authority, 'ns/dns-enum', '1.0.0_build.7');
    assert.equal(
      raw.layers[0].annotations['org.opencontainers.image.title'],
      'dns-enum-1.0.0+build.7.aurion',
    );
  });

  describe('with htpasswd (Basic) authentication', () => {
    it('uses credentials from the environment, and from ~/.docker/config.json', async (t) => {
      const reg = await startRegistry(t, { users: { alice: 's3cret' } });
      const dir = await tempDir(t);
      const env = { AURION_REGISTRY_USERNAME: 'alice', AURION_REGISTRY_PASSWORD: 's3cret' };
      const c = client(reg.url('ns'), { env });
      t.after(() => c.close());
      const a = await artifact(dir, 'dns-enum', '1.0.0');
      assert.equal((await pushPlugin(c, a)).changed, true);
      // skopeo, an independent client, sees it with the same credentials.
      const raw = await skopeoRaw(reg.authority, 'ns/dns-enum', '1.0.0', ['--creds', 'alice:s3cret']);
      assert.equal(raw.layers[0].digest, `sha256:${a.bundle.sha256}`);

      const home = join(dir, 'home');
      await mkdir(join(home, '.docker'), { recursive: true });
      const auth = Buffer.from('alice:s3cret').toString('base64');
      await writeFile(
        join(home, '.docker', 'config.json'),
        JSON.stringify({ auths: { [reg.authority]: { auth } } }),
      );
      const viaConfig = client(reg.url('ns'), { env: { HOME: home } });
      t.after(() => viaConfig.close());
      assert.equal((await resolvePlugin(viaConfig, 'dns-enum', '1.0.0')).layer.sha256, a.bundle.sha256);
    });

    it('a wrong password is REGISTRY_ERROR with the registry message; no credentials says how to give them', async (t) => {
      const reg = await startRegistry(t, { users: { alice: 's3cret' } });
      const wrong = client(reg.url('ns'), {
        env: { AURION_REGISTRY_USERNAME: 'alice', AURION_REGISTRY_PASSWORD: 'wrong' },
      });
      t.after(() => wrong.close());
      const err = await expectAurionError(() => resolvePlugin(wrong, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR');
      assert.match(err.message, /refused the credentials from AURION_REGISTRY_USERNAME\/PASSWORD/);
      assert.match(err.message, /authentication required \(UNAUTHORIZED\)/);
      assert.doesNotMatch(`${err.message} ${err.hint}`, /wrong/);
      const anonymous = client(reg.url('ns'));
      t.after(() => anonymous.close());
      const none = await expectAurionError(
        () => resolvePlugin(anonymous, 'dns-enum', '1.0.0'),
        'REGISTRY_ERROR',
      );
      assert.match(none.message, /requires authentication/);
      assert.match(none.hint ?? '', /AURION_REGISTRY_USERNAME/);
    });
  });
});

describe('OCI client against a misbehaving registry', () => {
  it('retries 500 answers with backoff and then succeeds', async (t) => {
    const fake = await startFakeRegistry(t, { fail500: 2 });
    const dir = await tempDir(t);
    const c = client(fake.url('ns'));
    t.after(() => c.close());
    const a = await artifact(dir, 'dns-enum', '1.0.0');
    assert.equal((await pushPlugin(c, a)).changed, true);
    assert.deepEqual(
      fake.log.slice(0, 3).map((r) => [r.method, r.status]),
      [
        ['GET', 500],
        ['GET', 500],
        ['GET', 404],
      ],
    );
    assert.ok(fake.manifests.has('ns/dns-enum:1.0.0'));
  });

  it('a bundle swapped for a FIFO or grown after verification is IO_ERROR before any upload, never a hang', async (t) => {
    const fake = await startFakeRegistry(t);
    const dir = await tempDir(t);
    const c = client(fake.url('ns'));
    t.after(() => c.close());
    const a = await artifact(dir, 'dns-enum', '1.0.0');
    const fifo = join(dir, 'swapped.aurion');
    await run('mkfifo', [fifo]);
    await expectAurionError(() => pushPlugin(c, { ...a, bundle: { ...a.bundle, path: fifo } }), 'IO_ERROR');
    await writeFile(a.bundle.path, Buffer.concat([await readFile(a.bundle.path), Buffer.from('more')]));
    const grown = await expectAurionError(() => pushPlugin(c, a), 'IO_ERROR');
    assert.match(grown.message, /1004 bytes now, 1000 when it was verified/);
    // Only the small config blob went up; no byte of the bundle did.
    assert.deepEqual([...fake.blobs.values()], [Buffer.from(a.manifestBytes)]);
    assert.equal(fake.log.filter((r) => r.method === 'PATCH').length, 0);
    assert.equal(fake.manifests.has('ns/dns-enum:1.0.0'), false);
  });

  it('retries dropped connections', async (t) => {
    const fake = await startFakeRegistry(t, { reset: 2, failOn: (m) => m === 'PUT' });
    const dir = await tempDir(t);
    const c = client(fake.url('ns'));
    t.after(() => c.close());
    await pushPlugin(c, await artifact(dir, 'dns-enum', '1.0.0'));
    assert.ok(fake.manifests.has('ns/dns-enum:1.0.0'));
  });

  it('gives up after the bounded retries with REGISTRY_ERROR carrying the registry message', async (t) => {
    const fake = await startFakeRegistry(t, { fail500: 100 });
    const c = client(fake.url('ns'));
    t.after(() => c.close());
    const err = await expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(err.message, /HTTP 500: temporary failure, try again \(UNKNOWN\)/);
    assert.equal(fake.log.length, FAST_RETRY.attempts);
  });

  it('a refusal (403 DENIED) is REGISTRY_ERROR with the registry message, without retries', async (t) => {
    const fake = await startFakeRegistry(t, {
      refuseWith: { status: 403, code: 'DENIED', message: 'requested access to the resource is denied' },
    });
    const c = client(fake.url('ns'));
    t.after(() => c.close());
    const err = await expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(err.message, /HTTP 403: requested access to the resource is denied \(DENIED\)/);
    assert.equal(fake.log.length, 1);
  });

  it('an unreachable registry is REGISTRY_ERROR after the retries', async () => {
    const { freePort } = await import('./reference-registry.js');
    const c = client(`oci://127.0.0.1:${await freePort()}/ns`);
    const err = await expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(err.message, /cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    c.close();
  });

  it('corrupted blob bytes are DIGEST_MISMATCH', async (t) => {
    const fake = await startFakeRegistry(t, { corruptBlobs: true });
    const dir = await tempDir(t);
    const c = client(fake.url('ns'));
    t.after(() => c.close());
    await pushPlugin(c, await artifact(dir, 'dns-enum', '1.0.0'));
    const err = await expectAurionError(
      () => downloadPlugin(c, 'dns-enum', '1.0.0', join(dir, 'out.aurion')),
      'DIGEST_MISMATCH',
    );
    assert.match(err.message, /expected sha256 [0-9a-f]{64} \(1000 bytes\), got sha256/);
  });

  it('a manifest that does not match the digest the registry claims is DIGEST_MISMATCH', async (t) => {
    const fake = await startFakeRegistry(t, { lieAboutManifestDigest: true });
    const dir = await tempDir(t);
    const c = client(fake.url('ns'));
    t.after(() => c.close());
    const a = await artifact(dir, 'dns-enum', '1.0.0');
    fake.manifests.set('ns/dns-enum:1.0.0', {
      bytes: imageManifest(a),
      type: 'application/vnd.oci.image.manifest.v1+json',
    });
    await expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'DIGEST_MISMATCH');
  });

  it('a tag that holds something else is refused on pull (REGISTRY_ERROR) and on publish (VERSION_EXISTS)', async (t) => {
    const fake = await startFakeRegistry(t);
    const dir = await tempDir(t);
    const c = client(fake.url('ns'));
    t.after(() => c.close());
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: `sha256:${'0'.repeat(64)}`,
          size: 2,
        },
        layers: [],
      }),
    );
    fake.manifests.set('ns/dns-enum:1.0.0', {
      bytes: image,
      type: 'application/vnd.oci.image.manifest.v1+json',
    });
    const pull = await expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(pull.message, /is not an Aurion plugin/);
    const mine = await artifact(dir, 'dns-enum', '1.0.0');
    const push = await expectAurionError(() => pushPlugin(c, mine), 'VERSION_EXISTS');
    assert.match(push.message, /not this plugin/);
  });

  describe('Bearer token flow', () => {
    it('fetches a token for the challenge realm with Basic credentials and the push scope', async (t) => {
      const fake = await startFakeRegistry(t, { bearer: { users: { bob: 'pw' } } });
      const dir = await tempDir(t);
      const c = client(fake.url('ns'), {
        env: { AURION_REGISTRY_USERNAME: 'bob', AURION_REGISTRY_PASSWORD: 'pw' },
      });
      t.after(() => c.close());
      const a = await artifact(dir, 'dns-enum', '1.0.0');
      assert.equal((await pushPlugin(c, a)).changed, true);
      assert.ok(fake.tokenScopes.length >= 1);
      assert.ok(
        fake.tokenScopes[0]!.includes('repository:ns/dns-enum:pull,push'),
        JSON.stringify(fake.tokenScopes),
      );
      // One token serves the whole push: every request after the first challenge carries it.
      const authorized = fake.log.filter((r) => r.authorization?.startsWith('Bearer '));
      assert.ok(authorized.length >= 4);
      assert.equal(fake.log.filter((r) => r.status === 401).length, 1);
      const out = join(dir, 'out.aurion');
      await downloadPlugin(c, 'dns-enum', '1.0.0', out);
      assert.equal(sha256(await readFile(out)), a.bundle.sha256);
    });

    it('anonymous tokens work for public repositories; a token server refusing is REGISTRY_ERROR', async (t) => {
      const open = await startFakeRegistry(t, { bearer: {} });
      const c = client(open.url('ns'));
      t.after(() => c.close());
      await expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'NOT_FOUND');
      assert.equal(open.tokenScopes.length, 1);

      const closed = await startFakeRegistry(t, { bearer: { users: { bob: 'pw' } } });
      const wrong = client(closed.url('ns'), {
        env: { AURION_REGISTRY_USERNAME: 'bob', AURION_REGISTRY_PASSWORD: 'nope' },
      });
      t.after(() => wrong.close());
      const err = await expectAurionError(() => resolvePlugin(wrong, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR');
      assert.match(
        err.message,
        /refused the credentials from AURION_REGISTRY_USERNAME\/PASSWORD: incorrect username or password/,
      );
    });
  });
});

describe('token server answers', () => {
  it('the token (or access_token) is taken when it is visible ASCII', () => {
    assert.equal(parseTokenResponse(Buffer.from('{"token":"a.b-c_d~e+f/g=="}'), 's'), 'a.b-c_d~e+f/g==');
    assert.equal(parseTokenResponse(Buffer.from('{"token":"","access_token":"xyz"}'), 's'), 'xyz');
  });

  it('no token, or one an Authorization header cannot carry, is REGISTRY_ERROR', async () => {
    // Found by the fuzzing harness (test/fuzz/corpus/oci-token/crash-non-ascii-token.json): invalid UTF-8 or
    // non-ASCII characters made Node refuse the header later, reported as "cannot reach" the registry.
    for (const [body, why] of [
      ['null', /sent no token/],
      ['{"token":7}', /sent no token/],
      ['{"token":"a\\r\\nX-Injected: 1"}', /other than visible ASCII/],
      ['{"token":"a b"}', /other than visible ASCII/],
      ['{"token":"\u20ac"}', /other than visible ASCII/],
      ['{"access_token":"\\u0000"}', /other than visible ASCII/],
    ] as const) {
      const e = await expectAurionError(
        () => parseTokenResponse(Buffer.from(body), 'https://t.example/token'),
        'REGISTRY_ERROR',
      );
      assert.match(e.message, why, body);
    }
    const e = await expectAurionError(
      () => parseTokenResponse(Buffer.from('{"token":"\x80\x80abc"}', 'latin1'), 's'),
      'REGISTRY_ERROR',
    );
    assert.match(e.message, /other than visible ASCII/);
  });
});

describe('Aurion artifact manifests', () => {
  it('are deterministic and name the bundle layer', async (t) => {
    const dir = await tempDir(t);
    const a = await artifact(dir, 'dns-enum', '1.0.0');
    assert.deepEqual(imageManifest(a), imageManifest(a));
    assert.deepEqual(bundleLayer(imageManifest(a), 'x'), { sha256: a.bundle.sha256, size: a.bundle.size });
    const m = JSON.parse(imageManifest(a).toString());
    assert.equal(m.artifactType, AURION_MEDIA_TYPE.artifact);
    // mediaType is optional in the manifest itself; then the Content-Type it was served with counts.
    const { mediaType: _, ...bare } = m;
    const bareBytes = Buffer.from(JSON.stringify(bare));
    assert.equal(
      bundleLayer(bareBytes, 'x', 'application/vnd.oci.image.manifest.v1+json').sha256,
      a.bundle.sha256,
    );
    assert.throws(() => bundleLayer(bareBytes, 'x', 'application/json'), /media type is "application\/json"/);
  });

  it('anything else is refused with the reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['not json', /not JSON/],
      [{ mediaType: 'application/vnd.docker.distribution.manifest.v2+json' }, /media type/],
      [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'x' }, /artifact type/],
      [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType: AURION_MEDIA_TYPE.artifact,
          layers: [],
        },
        /0 layers/,
      ],
      [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType: AURION_MEDIA_TYPE.artifact,
          layers: [{ mediaType: AURION_MEDIA_TYPE.layer, digest: 'sha256:xyz', size: 1 }],
        },
        /not a sha256 digest/,
      ],
      // Found by the fuzzing harness (test/fuzz/corpus/oci-manifest/crash-null-layer.json): a layer that is
      // not an object was a TypeError.
      ...[null, 'layer', 7, true, ['x']].map((layer): [unknown, RegExp] => [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType: AURION_MEDIA_TYPE.artifact,
          layers: [layer],
        },
        Array.isArray(layer) ? /layer media type is undefined/ : /its layer is .*, not a JSON object/,
      ]),
    ];
    for (const [value, why] of cases) {
      const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
      assert.throws(
        () => bundleLayer(bytes, 'ref'),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'REGISTRY_ERROR');
          assert.match(e.message, why);
          return true;
        },
      );
    }
  });
});
