/**
 * The public library API, used the way a release script would: everything the CLI does, from Node.
 * The same example is in the README ("Library API").
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as api from '../src/index.js';
import { ROOT, tempDir } from './helpers.js';

const exec = promisify(execFile);

describe('library API (import from "aurion-plugin")', () => {
  it('the package name resolves to the same module as src/index', async () => {
    const byName = (await import('aurion-plugin')) as Record<string, unknown>;
    const local: Record<string, unknown> = { ...api };
    for (const name of [
      'initProject',
      'buildBundle',
      'signBundle',
      'verifyBundle',
      'verifyBundles',
      'readBundle',
      'inspectBundle',
      'publishBundle',
      'pullBundle',
      'computeCacheKey',
      'loadPrivateKey',
      'loadTrust',
      'generateEd25519KeyPair',
      'generatePgpKeyPair',
    ] as const) {
      assert.equal(typeof byName[name], 'function', name);
      assert.equal(byName[name], local[name], name);
    }
  });

  it('keeps the root small: at most 40 runtime names, building blocks behind subpath exports', async () => {
    const names = Object.keys(api);
    assert.ok(names.length <= 40, `${names.length} runtime names at the package root: ${names.join(', ')}`);
    const subpaths = {
      bundle: ['parseBundleStream', 'writeBundle', 'rewriteBundle', 'parseManifest', 'parseEnvelope'],
      wasm: ['WasmScanner', 'scanWasm', 'scanWasmFile', 'checkWasm'],
      crypto: ['verifyEd25519', 'keyIdOf', 'loadPublicKey', 'verifyDetached'],
      policy: ['parseTrustPolicy', 'evaluateRules', 'loadTrustPolicyFile'],
      json: ['canonicalJson', 'parseJson', 'formatF64', 'computeCacheKey'],
      registry: ['openRegistry', 'DirectoryRegistry', 'OciClient', 'parseRegistryRef'],
    } as const;
    for (const [subpath, expected] of Object.entries(subpaths)) {
      const entry = (await import(`aurion-plugin/${subpath}`)) as Record<string, unknown>;
      for (const name of expected)
        assert.equal(typeof entry[name], 'function', `aurion-plugin/${subpath}: ${name}`);
    }
    for (const name of ['WasmScanner', 'formatF64', 'OciClient', 'canonicalJson']) {
      assert.equal(name in api, false, `${name} is a building block, not a root export`);
    }
  });

  it('does a release: init, build, sign, verify, inspect, publish, pull, cache key', async (t) => {
    const work = await tempDir(t);
    const project = join(work, 'port-probe');
    await api.initProject({ dir: project, capabilities: ['PortScan'], runtime: 'wasm', force: false });
    await exec(process.execPath, [
      join(ROOT, 'examples', 'wat2wasm.mjs'),
      join(ROOT, 'examples', 'dns-enum', 'dns_enum.wat'),
      join(project, 'target', 'wasm32-wasip1', 'release', 'port_probe.wasm'),
    ]);

    const built = await api.buildBundle({ dir: project, sourceDateEpoch: 1767225600 });
    assert.equal(built.manifest.risk_class, 'Medium');

    const key = api.loadPrivateKey(
      await readFile(join(ROOT, 'keys-example', 'example.key')),
      undefined,
      'example.key',
    );
    const signed = await api.signBundle(built.bundle, { key });
    assert.equal(signed.keyId, key.publicKey.keyId);

    const trust = await api.loadTrust({ trustedKeys: [join(ROOT, 'keys-example', 'example.pub')] });
    assert.ok(trust);
    const verified = await api.verifyBundle(built.bundle, trust);
    assert.equal(verified.ok, true, JSON.stringify(verified.errors));
    assert.equal(verified.plugin?.effective_risk_class, 'Medium');
    assert.equal(api.exitCodeOf([verified]), 0);

    const report = await api.inspectBundle(built.bundle, { trust });
    assert.deepEqual(report.plugin_info, {
      name: 'port-probe',
      version: '0.1.0',
      capabilities: ['PortScan'],
      description: 'The port-probe Aurion plugin',
    });

    const registry = join(work, 'registry');
    const published = await api.publishBundle(built.bundle, { registry, trust });
    assert.equal(published.changed, true);
    assert.equal(published.sha256, signed.sha256);
    const again = await api.publishBundle(built.bundle, { registry, trust });
    assert.equal(again.changed, false);

    const pulled = await api.pullBundle('port-probe@0.1.0', {
      registry,
      trust,
      output: join(work, 'pulled.aurion'),
    });
    assert.equal(pulled.sha256, signed.sha256);
    assert.equal(pulled.verification?.ok, true);

    const key1 = api.computeCacheKey({
      name: 'port-probe',
      version: '0.1.0',
      config: '{"b":2.0,"a":[1]}',
      scope: 's',
    });
    assert.equal(key1.canonicalConfig, '{"a":[1],"b":2.0}');
    assert.match(key1.cacheKey, /^[0-9a-f]{64}$/);
  });

  it('throws AurionError with the stable code, as the CLI reports it', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(
      () => api.buildBundle({ dir }),
      (e: unknown) => api.isAurionError(e, 'IO_ERROR') && api.EXIT_CODE_OF[e.code] === 4,
    );
  });
});
