/**
 * SPEC §7 deadlines: response headers within 30 s, and a transfer averaging under 1 KiB/s over 60 s is
 * abandoned — REGISTRY_ERROR, never a hang. The durations are shortened (the client's `deadlines` option, and
 * AURION_TEST_REGISTRY_DEADLINES for the CLI) so that a stalling server is caught in well under a second; each
 * test has a timeout, so code without the deadlines fails instead of hanging.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_DEADLINES } from '../../src/registry/http.js';
import { OciClient, type OciClientOptions, testDeadlines } from '../../src/registry/oci.js';
import {
  downloadPlugin,
  type PluginArtifact,
  pushPlugin,
  resolvePlugin,
} from '../../src/registry/oci-artifact.js';
import { type OciRef, parseRegistryRef } from '../../src/registry/reference.js';
import { assertCliError, expectAurionError, runCli, tempDir } from '../helpers.js';
import { startFakeRegistry } from './fake-registry.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const FAST_RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };
const SHORT = { headersMs: 300, transferWindowMs: 500 };
const SHORT_ENV = { AURION_TEST_REGISTRY_DEADLINES: '300,500' };
const LIMIT = { timeout: 20_000 };

async function artifact(dir: string, size = 3000): Promise<PluginArtifact> {
  const bytes = randomBytes(size);
  const path = join(dir, `dns-enum-${sha256(bytes).slice(0, 6)}.aurion`);
  await writeFile(path, bytes);
  return {
    name: 'dns-enum',
    version: '1.0.0',
    manifestBytes: Buffer.from(JSON.stringify({ schema_version: 1, name: 'dns-enum', version: '1.0.0' })),
    bundle: { path, sha256: sha256(bytes), size },
  };
}

function client(url: string, options: Partial<OciClientOptions> = {}): OciClient {
  const ref = parseRegistryRef(url);
  assert.equal(ref.kind, 'oci');
  return new OciClient(ref as OciRef, { env: {}, retry: FAST_RETRY, deadlines: SHORT, ...options });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - start };
}

describe('OCI registry deadlines', () => {
  it(
    'header lines trickled byte by byte count against the header deadline (not retried)',
    LIMIT,
    async (t) => {
      const reg = await startFakeRegistry(t, {
        trickleHeadersOn: (m, p) => m === 'GET' && p.includes('/manifests/'),
      });
      const c = client(reg.url('ns'));
      t.after(() => c.close());
      const { value: err, ms } = await timed(() =>
        expectAurionError(() => resolvePlugin(c, 'dns-enum', '1.0.0'), 'REGISTRY_ERROR'),
      );
      assert.match(
        err.message,
        /sent no complete response headers within 0\.3 s \(GET \/v2\/ns\/dns-enum\/manifests\/1\.0\.0\)/,
      );
      assert.ok(ms < 3000, `took ${ms} ms`);
    },
  );

  it(
    'a blob sent one byte at a time is abandoned once it averages under 1 KiB/s over the window',
    LIMIT,
    async (t) => {
      const dir = await tempDir(t);
      const options: { trickleBlobMs?: number } = {};
      const reg = await startFakeRegistry(t, options);
      const c = client(reg.url('ns'));
      t.after(() => c.close());
      const a = await artifact(dir);
      await pushPlugin(c, a);
      await downloadPlugin(c, 'dns-enum', '1.0.0', join(dir, 'fast.aurion')); // a normal transfer passes
      options.trickleBlobMs = 10;
      const { value: err, ms } = await timed(() =>
        expectAurionError(
          () => downloadPlugin(c, 'dns-enum', '1.0.0', join(dir, 'slow.aurion')),
          'REGISTRY_ERROR',
        ),
      );
      assert.match(err.message, /sent the response body at under 1 KiB\/s over 0\.5 s/);
      assert.ok(ms < 3000, `took ${ms} ms`);
    },
  );

  it('an upload the registry stops taking is abandoned', LIMIT, async (t) => {
    const dir = await tempDir(t);
    const reg = await startFakeRegistry(t, { stallUploadsOver: 1024 * 1024 });
    // Larger than what the kernel's socket buffers absorb, so the stall shows in the request body.
    const c = client(reg.url('ns'), { chunkSize: 64 * 1024 * 1024 });
    t.after(() => c.close());
    const { value: err, ms } = await timed(() =>
      expectAurionError(async () => pushPlugin(c, await artifact(dir, 48 * 1024 * 1024)), 'REGISTRY_ERROR'),
    );
    assert.match(err.message, /took the request body at under 1 KiB\/s over 0\.5 s \(PUT /);
    assert.ok(ms < 8000, `took ${ms} ms`);
  });

  it('an upload taken whole but never answered misses the header deadline', LIMIT, async (t) => {
    const dir = await tempDir(t);
    const reg = await startFakeRegistry(t, { stallUploadsOver: 0 });
    const c = client(reg.url('ns'));
    t.after(() => c.close());
    const err = await expectAurionError(async () => pushPlugin(c, await artifact(dir)), 'REGISTRY_ERROR');
    assert.match(err.message, /sent no complete response headers within 0\.3 s \(PUT /);
  });

  it(
    'through the CLI: trickled headers and a trickled blob end pull with exit 4 REGISTRY_ERROR quickly',
    LIMIT,
    async (t) => {
      const dir = await tempDir(t);
      const options: { trickleBlobMs?: number; trickleHeadersOn?: (m: string, p: string) => boolean } = {};
      const reg = await startFakeRegistry(t, options);
      const c = client(reg.url('ns'));
      t.after(() => c.close());
      await pushPlugin(c, await artifact(dir));
      const pull = () =>
        timed(() =>
          runCli(
            ['pull', 'dns-enum@1.0.0', '--registry', reg.url('ns'), '-o', join(dir, 'out.aurion'), '--json'],
            { env: SHORT_ENV },
          ),
        );

      const ok = await pull();
      assert.equal(ok.value.code, 0, ok.value.stderr);

      options.trickleBlobMs = 10;
      const slow = await pull();
      assertCliError(slow.value, 4, 'REGISTRY_ERROR');
      assert.match(slow.value.json.error.message, /sent the response body at under 1 KiB\/s/);
      assert.ok(slow.ms < 5000, `took ${slow.ms} ms`);

      options.trickleHeadersOn = (m, p) => m === 'GET' && p.includes('/manifests/');
      const trickled = await pull();
      assertCliError(trickled.value, 4, 'REGISTRY_ERROR');
      assert.match(trickled.value.json.error.message, /sent no complete response headers within 0\.3 s/);
      assert.ok(trickled.ms < 5000, `took ${trickled.ms} ms`);
    },
  );

  it('AURION_TEST_REGISTRY_DEADLINES can only shorten the deadlines', async () => {
    assert.deepEqual(testDeadlines({}), undefined);
    assert.deepEqual(testDeadlines(SHORT_ENV), SHORT);
    assert.deepEqual(testDeadlines({ AURION_TEST_REGISTRY_DEADLINES: '30000,60000' }), {
      headersMs: DEFAULT_DEADLINES.headersMs,
      transferWindowMs: DEFAULT_DEADLINES.transferWindowMs,
    });
    for (const bad of ['30001,500', '300,60001', '300', 'a,b', '0,500', '300,-1']) {
      await expectAurionError(() => testDeadlines({ AURION_TEST_REGISTRY_DEADLINES: bad }), 'USAGE');
    }
    const r = await runCli(['pull', 'dns-enum@1.0.0', '--registry', 'oci://127.0.0.1:9/ns', '--json'], {
      env: { AURION_TEST_REGISTRY_DEADLINES: '999999,1' },
    });
    assertCliError(r, 2, 'USAGE');
  });
});
