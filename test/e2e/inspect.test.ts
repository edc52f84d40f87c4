import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signedWasmBundle, writeBundleFile } from '../fixtures/bundles.js';
import { listTree } from '../fixtures/checkers.js';
import { sha256 } from '../fixtures/digest.js';
import { ed25519Key, writePem } from '../fixtures/keys.js';
import { wasmManifest } from '../fixtures/manifests.js';
import { invalidModules, TINY_WASM } from '../fixtures/modules.js';
import { assertCliError, runCli, tempDir } from '../helpers.js';

const alice = ed25519Key();
const bob = ed25519Key();

describe('inspect (end to end)', () => {
  it('prints aligned sections an auditor can read at a glance', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, alice, {
      fields: { capabilities: ['PassiveEnum', 'PortScan'], limits: { memory_mib: 16 } },
    });
    const r = await runCli(['inspect', path]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^dns-enum@1\.2\.0 — Passive DNS enumeration$/m);
    assert.match(out, /^ {2}risk class {5}Medium$/m);
    assert.match(out, /^ {2}authorization {2}AuthorizationBundle required$/m);
    assert.match(
      out,
      /^Capabilities\n {2}PassiveEnum {2}Low {5}no authorization needed\n {2}PortScan {5}Medium {2}AuthorizationBundle required$/m,
    );
    assert.match(out, /^Runtime: wasm$/m);
    assert.match(out, new RegExp(`^ {2}sha256 +${sha256(TINY_WASM)} \\(matches manifest\\)$`, 'm'));
    assert.match(out, /^ {2}exports +run \(func\), memory \(memory\)$/m);
    assert.match(out, /^ {2}imports +none$/m);
    assert.match(out, /^ {2}memory +1 page \(0\.0625 MiB\) initial, max 2 pages \(0\.125 MiB\)$/m);
    assert.match(out, /^ {2}custom sections +producers \(\d+ bytes\)$/m);
    assert.match(out, /^ {2}limits +memory 16 MiB, timeout 300 s$/m);
    assert.match(
      out,
      new RegExp(
        `^ {2}signature\\.ed25519 {2}ed25519 key ${alice.keyId}; wasm-module matches, manifest matches$`,
        'm',
      ),
    );
    assert.doesNotMatch(out, /Verification/);
  });

  it('--json holds every fact plus plugin_info and register_request in the proto3 JSON mapping', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, alice);
    const r = await runCli(['inspect', path, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = r.json;
    assert.equal(j.ok, true);
    assert.equal(j.bundle, path);
    assert.equal(j.manifest.module.sha256, sha256(TINY_WASM));
    assert.deepEqual(j.capabilities, [
      { name: 'PassiveEnum', risk_class: 'Low', requires_authorization: false },
    ]);
    assert.equal(j.runtime.kind, 'wasm');
    assert.equal(j.runtime.module.size, TINY_WASM.length);
    assert.equal(j.signatures[0].key_id, alice.keyId);
    assert.deepEqual(j.plugin_info, {
      name: 'dns-enum',
      version: '1.2.0',
      capabilities: ['PassiveEnum'],
      description: 'Passive DNS enumeration',
    });
    assert.deepEqual(j.register_request, { info: j.plugin_info, supportedScopes: ['*.example.com'] });
    assert.equal(j.verification, undefined);
  });

  it('with trust flags shows the verdict and exits as verify would', async (t) => {
    const dir = await tempDir(t);
    const { path } = await signedWasmBundle(dir, alice);
    const aliceKey = await writePem(dir, 'alice.pub', alice.publicPem);
    const bobKey = await writePem(dir, 'bob.pub', bob.publicPem);

    const ok = await runCli(['inspect', path, '--trusted-key', aliceKey, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json.ok, true);
    assert.equal(ok.json.verification.ok, true);
    assert.deepEqual(ok.json.verification.signer, { algorithm: 'ed25519', key_id: alice.keyId });

    const human = await runCli(['inspect', path, '--trusted-key', aliceKey]);
    assert.match(
      human.stdout,
      new RegExp(`^Verification\\n {2}verdict {2}✓ verified, signed by key ${alice.keyId}$`, 'm'),
    );

    const denied = await runCli(['inspect', path, '--trusted-key', bobKey, '--json']);
    assertCliError(denied, 1, 'KEY_UNTRUSTED');
    assert.equal(denied.json.verification.ok, false);
    assert.equal(denied.json.name, 'dns-enum', 'the report is printed also when the verdict fails');

    const deniedHuman = await runCli(['inspect', path, '--trusted-key', bobKey]);
    assert.equal(deniedHuman.code, 1);
    assert.match(deniedHuman.stdout, /verdict {2}✗ failed/);
    assert.match(deniedHuman.stdout, /KEY_UNTRUSTED/);

    const policy = join(dir, 'policy.json');
    await writeFile(policy, '{"schema_version": 2}');
    assertCliError(await runCli(['inspect', path, '--trust-policy', policy, '--json']), 3, 'POLICY_INVALID');
  });

  it('an unsigned bundle: facts without trust flags (exit 0), UNSIGNED with them (exit 1)', async (t) => {
    const dir = await tempDir(t);
    const path = await writeBundleFile(join(dir, 'u.aurion'), {
      manifest: wasmManifest(TINY_WASM),
      module: TINY_WASM,
    });
    const facts = await runCli(['inspect', path]);
    assert.equal(facts.code, 0);
    assert.match(facts.stdout, /^Signatures\n {2}none {2}unsigned$/m);
    const key = await writePem(dir, 'alice.pub', alice.publicPem);
    assertCliError(await runCli(['inspect', path, '--trusted-key', key, '--json']), 1, 'UNSIGNED');
  });

  it('a module WebAssembly.validate refuses (e.g. an invalid function body) is WASM_INVALID (3)', async (t) => {
    const dir = await tempDir(t);
    for (const [what, module] of Object.entries(await invalidModules())) {
      const path = await writeBundleFile(join(dir, 'invalid.aurion'), {
        manifest: wasmManifest(module),
        module,
      });
      const r = await runCli(['inspect', path, '--json']);
      assertCliError(r, 3, 'WASM_INVALID');
      assert.match(r.json.error.message, /WebAssembly engine refuses it/, what);
    }
  });

  it('a module that is not WebAssembly is WASM_INVALID (3); a missing bundle IO_ERROR (4); garbage BUNDLE_INVALID (3)', async (t) => {
    const dir = await tempDir(t);
    const junk = Buffer.from('\0asm but not really');
    const path = await writeBundleFile(join(dir, 'w.aurion'), { manifest: wasmManifest(junk), module: junk });
    assertCliError(await runCli(['inspect', path, '--json']), 3, 'WASM_INVALID');
    assertCliError(await runCli(['inspect', join(dir, 'missing.aurion'), '--json']), 4, 'IO_ERROR');
    const garbage = join(dir, 'garbage.aurion');
    await writeFile(garbage, 'not a bundle');
    const before = await listTree(dir);
    assertCliError(await runCli(['inspect', garbage, '--json'], { cwd: dir }), 3, 'BUNDLE_INVALID');
    assert.deepEqual(await listTree(dir), before);
  });
});
