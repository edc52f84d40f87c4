import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pluginInfoJson, registerRequestJson } from '../../src/core/inspect.js';
import { trustedKeyFromPem } from '../../src/core/policy.js';
import { inspectBundle } from '../../src/ops/inspect.js';
import { signedWasmBundle, writeBundleFile } from '../fixtures/bundles.js';
import { sha256 } from '../fixtures/digest.js';
import { ed25519Key, envelopeBytes } from '../fixtures/keys.js';
import {
  containerManifest,
  IMAGE_DIGEST,
  manifestValue as manifest,
  wasmManifest,
} from '../fixtures/manifests.js';
import { TINY_WASM } from '../fixtures/modules.js';
import { expectAurionError, ROOT, tempDir } from '../helpers.js';

const alice = ed25519Key();

/** Field names of a message in specs/plugin.proto, in the proto3 JSON mapping (lowerCamelCase). */
async function protoJsonNames(message: string): Promise<string[]> {
  const proto = await readFile(join(ROOT, 'specs', 'plugin.proto'), 'utf8');
  const body = new RegExp(`message ${message} \\{([^}]*)\\}`).exec(proto)?.[1];
  assert.ok(body !== undefined, `message ${message} in plugin.proto`);
  return [...body.matchAll(/^\s*(?:repeated\s+)?\w+\s+(\w+)\s*=\s*\d+;/gm)].map((m) =>
    m[1]!.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
  );
}

describe('proto3 JSON mapping of PluginInfo and RegisterRequest', () => {
  it('uses exactly the fields of specs/plugin.proto, in lowerCamelCase', async () => {
    const full = manifest({ description: 'd', supported_scopes: ['*.example.com'] });
    assert.deepEqual(Object.keys(pluginInfoJson(full)).sort(), (await protoJsonNames('PluginInfo')).sort());
    assert.deepEqual(
      Object.keys(registerRequestJson(full)).sort(),
      (await protoJsonNames('RegisterRequest')).sort(),
    );
    assert.deepEqual(registerRequestJson(full), {
      info: { name: 'dns-enum', version: '1.2.0', capabilities: ['PassiveEnum'], description: 'd' },
      supportedScopes: ['*.example.com'],
    });
  });

  it('omits fields holding their proto3 default (empty string, empty list), keeps the info message', () => {
    assert.deepEqual(pluginInfoJson(manifest()), {
      name: 'dns-enum',
      version: '1.2.0',
      capabilities: ['PassiveEnum'],
    });
    assert.deepEqual(pluginInfoJson(manifest({ description: '' })), {
      name: 'dns-enum',
      version: '1.2.0',
      capabilities: ['PassiveEnum'],
    });
    assert.deepEqual(registerRequestJson(manifest({ supported_scopes: [] })), {
      info: { name: 'dns-enum', version: '1.2.0', capabilities: ['PassiveEnum'] },
    });
  });
});

describe('inspectBundle', () => {
  it('reports a wasm bundle: capabilities, module facts from the scanner, signatures', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, alice, {
      fields: { capabilities: ['PassiveEnum', 'PortScan'] },
    });
    const r = await inspectBundle(path);
    assert.equal(r.risk_class, 'Medium');
    assert.equal(r.requires_authorization, true);
    assert.deepEqual(r.capabilities, [
      { name: 'PassiveEnum', risk_class: 'Low', requires_authorization: false },
      { name: 'PortScan', risk_class: 'Medium', requires_authorization: true },
    ]);
    assert.equal(r.runtime.kind, 'wasm');
    if (r.runtime.kind !== 'wasm') return;
    assert.equal(r.runtime.module.sha256, sha256(TINY_WASM));
    assert.equal(r.runtime.module.size, TINY_WASM.length);
    assert.equal(r.runtime.module.digest_matches_manifest, true);
    assert.deepEqual(r.runtime.module.exports, [
      { name: 'run', kind: 'func' },
      { name: 'memory', kind: 'memory' },
    ]);
    assert.deepEqual(r.runtime.module.imports, []);
    assert.deepEqual(r.runtime.module.memories, [
      {
        initial_pages: 1,
        initial_mib: 0.0625,
        maximum_pages: 2,
        maximum_mib: 0.125,
        imported: false,
        memory64: false,
        shared: false,
      },
    ]);
    assert.deepEqual(
      r.runtime.module.custom_sections.map((c) => c.name),
      ['producers'],
    );
    assert.deepEqual(r.runtime.limits, { memory_mib: 64, timeout_seconds: 300, declared: false });
    assert.equal(r.signatures.length, 1);
    assert.deepEqual(r.signatures[0], {
      file: 'signature.ed25519',
      algorithm: 'ed25519',
      key_id: alice.keyId,
      subject: { kind: 'wasm-module', sha256: sha256(TINY_WASM) },
      subject_matches_bundle: true,
      manifest_sha256: sha256(wasmManifest(TINY_WASM, { capabilities: ['PassiveEnum', 'PortScan'] })),
      manifest_matches_bundle: true,
    });
    assert.equal(r.verification, undefined);
    assert.equal(r.sha256, sha256(await readFile(path)));
  });

  it('with trust material includes the verdict of verify', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, alice);
    const trust = {
      keys: [trustedKeyFromPem(alice.publicPem, 'a.pub')],
      pgpKeys: [],
      revoked: new Set<string>(),
      riskClassOverrides: new Map([['dns-enum', 'High' as const]]),
    };
    const r = await inspectBundle(path, { trust });
    assert.equal(r.verification?.ok, true);
    assert.equal(r.effective_risk_class, 'High');
    assert.equal(r.risk_class, 'Low');
  });

  it('reports a container bundle: image, digest, user, profiles, env; an unparseable envelope is shown as such', async (t) => {
    const dir = await tempDir(t);
    const m = containerManifest({ limits: { memory_mib: 32 } });
    const path = await writeBundleFile(join(dir, 'c.aurion'), {
      manifest: m,
      ed25519: Buffer.from('{"nope":1}'),
    });
    const r = await inspectBundle(path);
    assert.deepEqual(r.runtime, {
      kind: 'container',
      image: `registry.example/org/port-scan@sha256:${IMAGE_DIGEST}`,
      repository: 'registry.example/org/port-scan',
      digest: `sha256:${IMAGE_DIGEST}`,
      user: '10001:10001',
      read_only_rootfs: true,
      seccomp_profile: 'runtime/default',
      apparmor_profile: 'runtime/default',
      env: ['API_TOKEN'],
      limits: { memory_mib: 32, timeout_seconds: 300, declared: true },
    });
    const sig = r.signatures[0]!;
    assert.ok('unreadable' in sig && sig.unreadable.code === 'SIGNATURE_INVALID');
    assert.deepEqual(r.plugin_info, { name: 'port-scan', version: '0.3.0', capabilities: ['PortScan'] });
  });

  it('flags an envelope that does not match the bundle', async (t) => {
    const dir = await tempDir(t);
    const m = containerManifest();
    const ed25519 = envelopeBytes(alice, {
      kind: 'container-image',
      subjectSha256: 'b'.repeat(64),
      manifestBytes: Buffer.from('x'),
    });
    const r = await inspectBundle(await writeBundleFile(join(dir, 'c.aurion'), { manifest: m, ed25519 }));
    const sig = r.signatures[0]!;
    assert.ok('subject_matches_bundle' in sig);
    assert.equal(sig.subject_matches_bundle, false);
    assert.equal(sig.manifest_matches_bundle, false);
  });

  it('a module that is not WebAssembly is WASM_INVALID', async (t) => {
    const dir = await tempDir(t);
    const junk = Buffer.from('this is not a wasm module');
    const path = await writeBundleFile(join(dir, 'w.aurion'), { manifest: wasmManifest(junk), module: junk });
    const e = await expectAurionError(() => inspectBundle(path), 'WASM_INVALID');
    assert.match(e.message, /module\.wasm/);
  });

  it('reader errors pass through: IO_ERROR, BUNDLE_INVALID', async (t) => {
    const dir = await tempDir(t);
    await expectAurionError(() => inspectBundle(join(dir, 'missing.aurion')), 'IO_ERROR');
    const path = join(dir, 'junk.aurion');
    await (await import('node:fs/promises')).writeFile(path, 'junk');
    await expectAurionError(() => inspectBundle(path), 'BUNDLE_INVALID');
  });
});
