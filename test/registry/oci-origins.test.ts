/**
 * SPEC §7: registry credentials (Basic, or a token obtained with them) go only to the registry's own origin and
 * to the token realm its own challenges name. Two loopback origins stand for a registry (127.0.0.1) and the
 * storage or upload service it hands requests to (127.0.0.2); what the second one received is asserted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OciClient, type OciClientOptions } from '../../src/registry/oci.js';
import {
  downloadPlugin,
  type PluginArtifact,
  pushPlugin,
  resolvePlugin,
} from '../../src/registry/oci-artifact.js';
import { type OciRef, parseRegistryRef } from '../../src/registry/reference.js';
import { sha256 } from '../fixtures/digest.js';
import { assertCliError, expectAurionError, runCli, tempDir } from '../helpers.js';
import { type FakeRegistryOptions, startFakeRegistry } from './fake-registry.js';
import { startForeignOrigin } from './foreign-origin.js';

const FAST_RETRY = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };
const ALICE = { AURION_REGISTRY_USERNAME: 'alice', AURION_REGISTRY_PASSWORD: 's3cret' };
const ALICE_BASIC = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;

async function artifact(dir: string, version = '1.0.0'): Promise<PluginArtifact> {
  const bytes = randomBytes(3000);
  const path = join(dir, `dns-enum-${version}-${sha256(bytes).slice(0, 6)}.aurion`);
  await writeFile(path, bytes);
  return {
    name: 'dns-enum',
    version,
    manifestBytes: Buffer.from(JSON.stringify({ schema_version: 1, name: 'dns-enum', version })),
    bundle: { path, sha256: sha256(bytes), size: bytes.length },
  };
}

function client(url: string, options: Partial<OciClientOptions> = {}): OciClient {
  const ref = parseRegistryRef(url);
  assert.equal(ref.kind, 'oci');
  return new OciClient(ref as OciRef, { env: ALICE, retry: FAST_RETRY, ...options });
}

/** A registry on 127.0.0.1 with alice's credentials, and the other origin (127.0.0.2) it hands requests to. */
async function twoOrigins(
  t: Parameters<typeof startFakeRegistry>[0],
  registry: (storage: string) => FakeRegistryOptions,
  storage: { challenge?: boolean } = {},
) {
  const blobs = new Map<string, Buffer>();
  const foreign = await startForeignOrigin(t, { ...storage, blobs });
  const reg = await startFakeRegistry(t, { blobs, ...registry(foreign.origin) });
  return { reg, foreign };
}

/** Nothing the other origin received carried an Authorization header; in particular not alice's Basic. */
function assertNoCredentials(log: readonly { authorization: string | undefined; path: string }[]) {
  assert.deepEqual(
    log.filter((r) => r.authorization !== undefined),
    [],
    'the other origin received credentials',
  );
  assert.deepEqual(
    log.filter((r) => r.path === '/token'),
    [],
    'the other origin token realm was asked for a token',
  );
}

describe('OCI credentials stay with the registry origin', () => {
  for (const auth of ['basic', 'bearer'] as const) {
    it(`a redirect to another origin that challenges (Bearer) is refused; it never gets credentials (${auth})`, async (t) => {
      const dir = await tempDir(t);
      const { reg, foreign } = await twoOrigins(
        t,
        (storage) => ({
          ...(auth === 'basic' ? { basic: { alice: 's3cret' } } : { bearer: { users: { alice: 's3cret' } } }),
          blobRedirect: storage,
        }),
        { challenge: true },
      );
      const c = client(reg.url('ns'));
      t.after(() => c.close());
      await pushPlugin(c, await artifact(dir));
      const err = await expectAurionError(
        () => downloadPlugin(c, 'dns-enum', '1.0.0', join(dir, 'out.aurion')),
        'REGISTRY_ERROR',
      );
      assertNoCredentials(foreign.log);
      assert.ok(err.message.includes(`${foreign.origin} asks for authentication`), err.message);
      assert.ok(
        foreign.log.some((r) => r.path.startsWith('/blobs/')),
        'the redirect was followed',
      );
      // The registry itself was given the credentials (or a token obtained with them).
      assert.ok(reg.log.some((r) => r.authorization !== undefined));

      // The same through the CLI.
      const out = join(dir, 'cli.aurion');
      const r = await runCli(['pull', 'dns-enum@1.0.0', '--registry', reg.url('ns'), '-o', out, '--json'], {
        env: ALICE,
      });
      assertCliError(r, 4, 'REGISTRY_ERROR');
      assert.ok(r.json.error.message.includes(foreign.origin), r.json.error.message);
      assertNoCredentials(foreign.log);
    });
  }

  it('a redirect to another origin is followed without credentials, and the download succeeds', async (t) => {
    const dir = await tempDir(t);
    const { reg, foreign } = await twoOrigins(t, (storage) => ({
      basic: { alice: 's3cret' },
      blobRedirect: storage,
    }));
    const c = client(reg.url('ns'));
    t.after(() => c.close());
    const a = await artifact(dir);
    await pushPlugin(c, a);
    const out = join(dir, 'out.aurion');
    await downloadPlugin(c, 'dns-enum', '1.0.0', out);
    assert.equal(sha256(await readFile(out)), a.bundle.sha256);
    assert.deepEqual(
      foreign.log.map((r) => `${r.method} ${r.path}`),
      [`GET /blobs/sha256:${a.bundle.sha256}`],
    );
    assertNoCredentials(foreign.log);
    assert.ok(reg.log.some((r) => r.authorization === ALICE_BASIC));
  });

  it('an upload location on another origin gets the bytes but no Authorization', async (t) => {
    const dir = await tempDir(t);
    const { reg, foreign } = await twoOrigins(t, (storage) => ({
      basic: { alice: 's3cret' },
      uploadOrigin: storage,
    }));
    const c = client(reg.url('ns'));
    t.after(() => c.close());
    const a = await artifact(dir);
    assert.equal((await pushPlugin(c, a)).changed, true);
    assert.deepEqual(
      foreign.log.map((r) => r.method),
      ['PUT', 'PUT'],
      'the config and bundle blobs went to the upload origin',
    );
    assertNoCredentials(foreign.log);
    assert.equal(reg.blobs.get(`sha256:${a.bundle.sha256}`)?.length, a.bundle.size);
    assert.ok(reg.log.some((r) => r.method === 'PUT' && r.authorization === ALICE_BASIC));
  });

  it('an upload location on another origin that challenges is refused; it never gets credentials', async (t) => {
    const dir = await tempDir(t);
    const { reg, foreign } = await twoOrigins(
      t,
      (storage) => ({ bearer: { users: { alice: 's3cret' } }, uploadOrigin: storage }),
      { challenge: true },
    );
    const c = client(reg.url('ns'));
    t.after(() => c.close());
    const a = await artifact(dir);
    const err = await expectAurionError(() => pushPlugin(c, a), 'REGISTRY_ERROR');
    assertNoCredentials(foreign.log);
    assert.ok(err.message.includes(`${foreign.origin} asks for authentication`), err.message);
    assert.equal(foreign.log.filter((r) => r.method === 'PUT').length, 1);
    assert.equal(reg.manifests.size, 0);
  });

  it('a token realm over plain HTTP on a host that is not loopback is refused before any connection', async (t) => {
    // registry.invalid is never resolved: the refusal comes first (a lookup would fail with another message).
    const reg = await startFakeRegistry(t, { bearer: { realm: 'http://registry.invalid/token' } });
    const c = client(reg.url('ns'));
    t.after(() => c.close());
    const err = await expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(
      err.message,
      /^refusing the token realm http:\/\/registry\.invalid\/token of registry 127\.0\.0\.1:\d+: it is not HTTPS/,
    );
    assert.equal(reg.tokenScopes.length, 0);

    const r = await runCli(['pull', 'dns-enum@1.0.0', '--registry', reg.url('ns'), '--json'], { env: ALICE });
    assertCliError(r, 4, 'REGISTRY_ERROR');
    assert.match(r.json.error.message, /refusing the token realm http:\/\/registry\.invalid\/token/);
  });

  it('a token realm over plain HTTP on a loopback address is accepted, on another origin too', async (t) => {
    const tokens = await startFakeRegistry(t, { bearer: {} });
    const reg = await startFakeRegistry(t, {
      bearer: { realm: `http://127.0.0.1:${tokens.port}/token` },
    });
    const c = client(reg.url('ns'), { env: {} });
    t.after(() => c.close());
    // The realm answers with a token the registry does not know: the flow got as far as asking it.
    const err = await expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR');
    assert.match(err.message, /refused anonymous access/);
    assert.equal(tokens.tokenScopes.length, 1);
  });
});
