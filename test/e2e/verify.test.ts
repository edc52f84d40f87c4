import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { signedWasmBundle, writeBundleFile } from '../fixtures/bundles.js';
import { listTree } from '../fixtures/checkers.js';
import { sha256 } from '../fixtures/digest.js';
import { ed25519Key, envelopeBytes, writePem } from '../fixtures/keys.js';
import { wasmManifest } from '../fixtures/manifests.js';
import { TINY_WASM } from '../fixtures/modules.js';
import { assertCliError, runCli, tempDir } from '../helpers.js';

const alice = ed25519Key();
const bob = ed25519Key();

/** A folder with alice's signed bundle and her public key. */
async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const { path } = await signedWasmBundle(dir, alice);
  const key = await writePem(dir, 'alice.pub', alice.publicPem);
  return { dir, bundle: path, key };
}

describe('verify (end to end)', () => {
  it('passes a signed bundle: exit 0, one line per bundle', async (t) => {
    const { bundle, key } = await setup(t);
    const r = await runCli(['verify', bundle, '--trusted-key', key]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `✓ dns-enum@1.2.0 ${bundle} — signed by ed25519 key ${alice.keyId}, risk Low\n`);
  });

  it('--json prints exactly the SPEC §7 document', async (t) => {
    const { bundle, key } = await setup(t);
    const r = await runCli(['verify', bundle, '--trusted-key', key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json, {
      ok: true,
      results: [
        {
          bundle,
          ok: true,
          plugin: {
            name: 'dns-enum',
            version: '1.2.0',
            risk_class: 'Low',
            effective_risk_class: 'Low',
            capabilities: ['PassiveEnum'],
            runtime: 'wasm',
          },
          signer: { algorithm: 'ed25519', key_id: alice.keyId },
          signatures: [
            { file: 'signature.ed25519', algorithm: 'ed25519', key_id: alice.keyId, ok: true, errors: [] },
          ],
          errors: [],
        },
      ],
    });
    assert.equal(r.stderr, '');
  });

  it('without any trust flag is USAGE (exit 2)', async (t) => {
    const { bundle } = await setup(t);
    const r = await runCli(['verify', bundle, '--json']);
    assertCliError(r, 2, 'USAGE');
    assert.match(r.stderr, /hint: give --trusted-key/);
  });

  it('without a bundle is USAGE (exit 2)', async (t) => {
    const { key } = await setup(t);
    assertCliError(await runCli(['verify', '--trusted-key', key, '--json']), 2, 'USAGE');
  });

  it('a trusted key file that is missing is IO_ERROR (4); one that does not parse is KEY_INVALID (3)', async (t) => {
    const { dir, bundle } = await setup(t);
    assertCliError(
      await runCli(['verify', bundle, '--trusted-key', join(dir, 'nope.pub'), '--json']),
      4,
      'IO_ERROR',
    );
    const junk = await writePem(dir, 'junk.pub', 'hello\n');
    assertCliError(await runCli(['verify', bundle, '--trusted-key', junk, '--json']), 3, 'KEY_INVALID');
    const priv = await writePem(dir, 'alice.key', alice.privatePem);
    const r = await runCli(['verify', bundle, '--trusted-key', priv, '--json']);
    assertCliError(r, 3, 'KEY_INVALID');
    assert.ok(
      !r.stdout.includes(alice.privatePem.split('\n')[1]!) &&
        !r.stderr.includes(alice.privatePem.split('\n')[1]!),
    );
  });

  it('a trust policy: keys relative to the policy file, rules applied; bad policies are whole-call errors', async (t) => {
    const { dir, bundle } = await setup(t);
    await mkdir(join(dir, 'trust', 'keys'), { recursive: true });
    await writePem(join(dir, 'trust', 'keys'), 'alice.pub', alice.publicPem);
    const policy = join(dir, 'trust', 'policy.json');
    const write = (doc: unknown) => writeFile(policy, JSON.stringify(doc));
    const entry = { key_id: alice.keyId, public_key_file: 'keys/alice.pub', name: 'alice' };

    await write({ schema_version: 1, keys: [entry] });
    const ok = await runCli(['verify', bundle, '--trust-policy', policy, '--json'], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.json.results[0].signer, { algorithm: 'ed25519', key_id: alice.keyId, name: 'alice' });

    await write({ schema_version: 1, keys: [{ ...entry, plugins: ['port-*'] }] });
    const denied = await runCli(['verify', bundle, '--trust-policy', policy, '--json']);
    assert.equal(denied.code, 1);
    assert.equal(denied.json.ok, false);
    assert.deepEqual(
      denied.json.results[0].errors.map((e: { code: string }) => e.code),
      ['KEY_UNTRUSTED'],
    );

    await write({ schema_version: 1, keys: [{ ...entry, key_id: bob.keyId }] });
    const mismatch = await runCli(['verify', bundle, '--trust-policy', policy, '--json']);
    assertCliError(mismatch, 3, 'POLICY_INVALID');
    assert.equal(mismatch.json.results, undefined);

    await write({ schema_version: 1, keys: [{ ...entry, public_key_file: 'keys/missing.pub' }] });
    assertCliError(await runCli(['verify', bundle, '--trust-policy', policy, '--json']), 4, 'IO_ERROR');

    await writeFile(policy, '{"schema_version": 1, "keys": [}');
    assertCliError(await runCli(['verify', bundle, '--trust-policy', policy, '--json']), 3, 'POLICY_INVALID');

    await write({ schema_version: 1, keys: [{ ...entry, max_risk_class: 'Extreme' }], bogus: true });
    const invalid = await runCli(['verify', bundle, '--trust-policy', policy, '--json']);
    assertCliError(invalid, 3, 'POLICY_INVALID');
    assert.match(invalid.stderr, /\/keys\/0\/max_risk_class/);
    assert.match(invalid.stderr, /\/bogus/);

    assertCliError(
      await runCli(['verify', bundle, '--trust-policy', join(dir, 'none.json'), '--json']),
      4,
      'IO_ERROR',
    );
  });

  it('a policy entry restricts a key also given with --trusted-key; revocations apply to shorthand keys', async (t) => {
    const { dir, bundle, key } = await setup(t);
    const policy = join(dir, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        schema_version: 1,
        keys: [{ key_id: alice.keyId, public_key_file: 'alice.pub', plugins: ['x'] }],
      }),
    );
    const r = await runCli(['verify', bundle, '--trust-policy', policy, '--trusted-key', key, '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(
      r.json.results[0].errors.map((e: { code: string }) => e.code),
      ['KEY_UNTRUSTED'],
    );
    await writeFile(policy, JSON.stringify({ schema_version: 1, revoked: [alice.keyId] }));
    const revoked = await runCli([
      'verify',
      bundle,
      '--trust-policy',
      policy,
      '--trusted-key',
      key,
      '--json',
    ]);
    assert.equal(revoked.code, 1);
    assert.deepEqual(
      revoked.json.results[0].errors.map((e: { code: string }) => e.code),
      ['KEY_REVOKED'],
    );
  });

  it('several bundles: results in order, exit code the largest among the failed', async (t) => {
    const { dir, bundle, key } = await setup(t);
    const manifest = wasmManifest(TINY_WASM);
    const tampered = await writeBundleFile(join(dir, 'tampered.aurion'), {
      manifest,
      module: Buffer.concat([TINY_WASM.subarray(0, -1), Buffer.from([0x00])]),
      ed25519: envelopeBytes(alice, {
        kind: 'wasm-module',
        subjectSha256: sha256(TINY_WASM),
        manifestBytes: manifest,
      }),
    });
    const garbage = join(dir, 'garbage.aurion');
    await writeFile(garbage, Buffer.from('1f8b0800000000000003', 'hex'));
    const missing = join(dir, 'missing.aurion');

    const one = await runCli(['verify', bundle, tampered, '--trusted-key', key, '--json']);
    assert.equal(one.code, 1);
    assert.deepEqual(
      one.json.results.map((r: { ok: boolean }) => r.ok),
      [true, false],
    );
    assert.equal(one.json.ok, false);

    const three = await runCli(['verify', tampered, garbage, bundle, '--trusted-key', key, '--json']);
    assert.equal(three.code, 3);
    assert.deepEqual(
      three.json.results.map((r: { bundle: string }) => r.bundle),
      [tampered, garbage, bundle],
    );
    assert.deepEqual(
      three.json.results[1].errors.map((e: { code: string }) => e.code),
      ['BUNDLE_INVALID'],
    );
    assert.equal(three.json.results[1].plugin, null);

    const four = await runCli(['verify', missing, garbage, '--trusted-key', key, '--json']);
    assert.equal(four.code, 4);
    assert.deepEqual(
      four.json.results[0].errors.map((e: { code: string }) => e.code),
      ['IO_ERROR'],
    );

    const human = await runCli(['verify', bundle, tampered, '--trusted-key', key]);
    assert.equal(human.code, 1);
    const lines = human.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^✓ dns-enum@1\.2\.0 /);
    assert.equal(lines[1], `✗ dns-enum@1.2.0 ${tampered}`);
    assert.match(lines[2]!, /^ {4}DIGEST_MISMATCH /);
    assert.equal(lines.at(-1), '1 of 2 bundles failed');
  });

  it('--max-module-size: a module above it is BUNDLE_INVALID (3); a bad size is USAGE (2)', async (t) => {
    const { bundle, key } = await setup(t);
    const r = await runCli(['verify', bundle, '--trusted-key', key, '--max-module-size', '16', '--json']);
    assert.equal(r.code, 3);
    assert.deepEqual(
      r.json.results[0].errors.map((e: { code: string }) => e.code),
      ['BUNDLE_INVALID'],
    );
    const ok = await runCli(['verify', bundle, '--trusted-key', key, '--max-module-size', '1KiB', '--json']);
    assert.equal(ok.code, 0, ok.stdout);
    assertCliError(
      await runCli(['verify', bundle, '--trusted-key', key, '--max-module-size', 'lots', '--json']),
      2,
      'USAGE',
    );
  });

  it('writes nothing anywhere near the bundle', async (t) => {
    const { dir, bundle, key } = await setup(t);
    const before = await listTree(dir);
    const r = await runCli(['verify', bundle, '--trusted-key', key, '--json'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.deepEqual(await listTree(dir), before);
    assert.ok(before.includes(relative(dir, bundle)));
  });
});
