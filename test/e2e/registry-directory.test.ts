import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { generatePgpKeyPair, loadPgpPrivateKey } from '../../src/core/pgp/keys.js';
import { signDetached } from '../../src/core/pgp/sign.js';
import { signedWasmBundle, writeBundleFile } from '../fixtures/bundles.js';
import { sha256 } from '../fixtures/digest.js';
import { envelopeBytes, writePem } from '../fixtures/keys.js';
import { containerManifest, wasmManifest } from '../fixtures/manifests.js';
import { progressSizedModule, TINY_WASM } from '../fixtures/modules.js';
import { alice, bob, fileSha, setup } from '../fixtures/registry.js';
import { assertCliError, BIN, runCli, runCliOnTty } from '../helpers.js';
import { deadPid, lockRecord } from '../registry/util.js';

describe('publish and pull: directory registry (end to end)', () => {
  it('publishes a verified bundle, creating the registry, and records it in index.json', async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    const path = await bundle();
    const r = await runCli(['publish', path, '--registry', registry, '--trusted-key', aliceKey, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const digest = await fileSha(path);
    assert.deepEqual(r.json, {
      ok: true,
      name: 'dns-enum',
      version: '1.2.0',
      registry,
      sha256: digest,
      changed: true,
    });
    assert.deepEqual((await readdir(registry)).sort(), ['index.json', 'plugins']);
    const stored = join(registry, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion');
    assert.equal(await fileSha(stored), digest);
    const index = JSON.parse(await readFile(join(registry, 'index.json'), 'utf8'));
    const entry = index.plugins['dns-enum']['1.2.0'];
    assert.equal(index.schema_version, 1);
    assert.equal(entry.sha256, digest);
    assert.equal(entry.size, (await stat(path)).size);
    assert.equal(entry.risk_class, 'Low');
    assert.deepEqual(entry.capabilities, ['PassiveEnum']);
    assert.equal(entry.runtime, 'wasm');
    assert.equal(entry.key_id, alice.keyId);
    assert.match(entry.published_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.ok(Math.abs(Date.parse(entry.published_at) - Date.now()) < 3600_000);

    const text = await runCli(['publish', path, '--registry', registry, '--trusted-key', aliceKey]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /already published .* nothing changed/);
  });

  it('the same bytes again: success, "changed": false, registry untouched', async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    const path = await bundle();
    await runCli(['publish', path, '--registry', registry, '--trusted-key', aliceKey]);
    const before = await readFile(join(registry, 'index.json'));
    const r = await runCli(['publish', path, '--registry', registry, '--trusted-key', aliceKey, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.changed, false);
    assert.deepEqual(await readFile(join(registry, 'index.json')), before);
  });

  it('other bytes under a published version: VERSION_EXISTS (exit 4)', async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    await runCli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]);
    const other = await bundle('1.2.0', { description: 'different content, same version' });
    const r = await runCli(['publish', other, '--registry', registry, '--trusted-key', aliceKey, '--json']);
    assertCliError(r, 4, 'VERSION_EXISTS');
    assert.match(r.stderr, /hint: .*bump the version/);
  });

  it('refuses unsigned bundles (UNSIGNED, exit 1) and stores nothing, not even the registry folder', async (t) => {
    const { dir, aliceKey, registry } = await setup(t);
    const unsigned = await writeBundleFile(join(dir, 'unsigned.aurion'), {
      manifest: wasmManifest(TINY_WASM),
      module: TINY_WASM,
    });
    const r = await runCli([
      'publish',
      unsigned,
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(r, 1, 'UNSIGNED');
    await assert.rejects(stat(registry), { code: 'ENOENT' });
    // Without any trust material too: the bundle is judged before the missing trust is.
    const noTrust = await runCli(['publish', unsigned, '--registry', registry, '--json']);
    assertCliError(noTrust, 1, 'UNSIGNED');
    await assert.rejects(stat(registry), { code: 'ENOENT' });
  });

  it('refuses a bundle signed by an untrusted key (KEY_UNTRUSTED, exit 1)', async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    const r = await runCli([
      'publish',
      await bundle('1.2.0', { key: bob }),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(r, 1, 'KEY_UNTRUSTED');
    await assert.rejects(stat(registry), { code: 'ENOENT' });
  });

  it('verification failures take precedence over VERSION_EXISTS', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    await runCli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]);
    // Same name and version, other content, and a signature that does not match it.
    const manifest = wasmManifest(TINY_WASM, { description: 'tampered' });
    const envelope = envelopeBytes(alice, {
      kind: 'wasm-module',
      subjectSha256: sha256(TINY_WASM),
      manifestBytes: wasmManifest(TINY_WASM),
    });
    const tampered = await writeBundleFile(join(dir, 'tampered.aurion'), {
      manifest,
      module: TINY_WASM,
      ed25519: envelope,
    });
    const r = await runCli([
      'publish',
      tampered,
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(['SIGNATURE_INVALID', 'DIGEST_MISMATCH'].includes(r.json.error.code), r.json.error.code);
  });

  it("always enforces the registry's trust-policy.json; trust flags add requirements, never widen it", async (t) => {
    const { aliceKey, bobKey, bundle, registry } = await setup(t);
    await mkdir(registry, { recursive: true });
    await writeFile(
      join(registry, 'trust-policy.json'),
      JSON.stringify({ schema_version: 1, keys: [{ key_id: alice.keyId, public_key: alice.publicPem }] }),
    );
    // The registry's own policy is enough on its own.
    const alone = await runCli(['publish', await bundle('1.0.0'), '--registry', registry, '--json']);
    assert.equal(alone.code, 0, alone.stderr);
    // Flags trusting bob do not let bob's bundle in.
    const widened = await runCli([
      'publish',
      await bundle('1.1.0', { key: bob }),
      '--registry',
      registry,
      '--trusted-key',
      bobKey,
      '--json',
    ]);
    assertCliError(widened, 1, 'KEY_UNTRUSTED');
    assert.match(widened.json.error.message, /registry's trust policy/);
    // Flags trusting only bob are an extra requirement alice's bundle does not meet.
    const stricter = await runCli([
      'publish',
      await bundle('1.2.0'),
      '--registry',
      registry,
      '--trusted-key',
      bobKey,
      '--json',
    ]);
    assertCliError(stricter, 1, 'KEY_UNTRUSTED');
    assert.match(stricter.json.error.message, /trust flags/);
    // Both satisfied.
    const both = await runCli([
      'publish',
      await bundle('1.3.0'),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
    ]);
    assert.equal(both.code, 0, both.stderr);
    const index = JSON.parse(await readFile(join(registry, 'index.json'), 'utf8'));
    assert.deepEqual(Object.keys(index.plugins['dns-enum']), ['1.0.0', '1.3.0']);
    assert.deepEqual((await readdir(registry)).sort(), ['index.json', 'plugins', 'trust-policy.json']);
  });

  it('a registry policy that does not parse is POLICY_INVALID (exit 3), nothing stored', async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    await mkdir(registry, { recursive: true });
    await writeFile(join(registry, 'trust-policy.json'), '{"schema_version": 1, "keys": "nope"}');
    const r = await runCli([
      'publish',
      await bundle(),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(r, 3, 'POLICY_INVALID');
    assert.deepEqual(await readdir(registry), ['trust-policy.json']);
  });

  it('usage errors: no trust material, no --registry, --plain-http with a folder', async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    const path = await bundle();
    const noTrust = await runCli(['publish', path, '--registry', registry, '--json']);
    assertCliError(noTrust, 2, 'USAGE');
    assert.match(noTrust.stderr, /trust-policy\.json in the registry folder/);
    assertCliError(await runCli(['publish', path, '--trusted-key', aliceKey, '--json']), 2, 'USAGE');
    assertCliError(
      await runCli([
        'publish',
        path,
        '--registry',
        registry,
        '--plain-http',
        '--trusted-key',
        aliceKey,
        '--json',
      ]),
      2,
      'USAGE',
    );
    await assert.rejects(stat(registry), { code: 'ENOENT' });
  });

  it('a missing bundle is IO_ERROR (4); a malformed one BUNDLE_INVALID (3)', async (t) => {
    const { dir, aliceKey, registry } = await setup(t);
    const missing = await runCli([
      'publish',
      join(dir, 'nope.aurion'),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(missing, 4, 'IO_ERROR');
    await writeFile(join(dir, 'junk.aurion'), 'not a bundle');
    const junk = await runCli([
      'publish',
      join(dir, 'junk.aurion'),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(junk, 3, 'BUNDLE_INVALID');
  });

  it('records the OpenPGP fingerprint for a container bundle signed with OpenPGP', async (t) => {
    const { dir, registry } = await setup(t);
    const ops = await generatePgpKeyPair('Ops <ops@example.org>');
    const manifest = containerManifest();
    const asc = await signDetached(await loadPgpPrivateKey(ops.privateArmored, undefined, 'ops'), manifest);
    const path = await writeBundleFile(join(dir, 'port-scan.aurion'), { manifest, asc: Buffer.from(asc) });
    const keyring = await writePem(dir, 'ops.asc', ops.publicArmored);
    const r = await runCli(['publish', path, '--registry', registry, '--pgp-keyring', keyring, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const entry = JSON.parse(await readFile(join(registry, 'index.json'), 'utf8')).plugins['port-scan'][
      '0.3.0'
    ];
    assert.equal(entry.fingerprint, ops.fingerprint);
    assert.equal(entry.key_id, undefined);
    assert.equal(entry.runtime, 'container');
    assert.equal(entry.risk_class, 'Medium');
  });

  it('accepts a file:// URL as the registry', async (t) => {
    const { aliceKey, bundle, registry, dir } = await setup(t);
    const url = pathToFileURL(registry).href;
    const r = await runCli(['publish', await bundle(), '--registry', url, '--trusted-key', aliceKey]);
    assert.equal(r.code, 0, r.stderr);
    const p = await runCli([
      'pull',
      'dns-enum@1.2.0',
      '--registry',
      url,
      '-o',
      join(dir, 'x.aurion'),
      '--json',
    ]);
    assert.equal(p.code, 0, p.stderr);
  });

  it('pulls to ./<name>-<version>.aurion or -o FILE, checking the digest; verifies with trust flags', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    const path = await bundle();
    await runCli(['publish', path, '--registry', registry, '--trusted-key', aliceKey]);
    const work = join(dir, 'work');
    await mkdir(work);
    const r = await runCli(['pull', 'dns-enum@1.2.0', '--registry', registry, '--json'], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    const out = join(work, 'dns-enum-1.2.0.aurion');
    assert.equal(r.json.ok, true);
    assert.equal(r.json.bundle, out);
    assert.equal(r.json.sha256, await fileSha(path));
    assert.deepEqual(await readFile(out), await readFile(path));
    assert.deepEqual(await readdir(work), ['dns-enum-1.2.0.aurion']);

    const target = join(dir, 'pulled.aurion');
    await writeFile(target, 'old content, replaced atomically');
    const verified = await runCli([
      'pull',
      'dns-enum@1.2.0',
      '--registry',
      registry,
      '-o',
      target,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.json.verified, true);
    assert.deepEqual(verified.json.signer, { algorithm: 'ed25519', key_id: alice.keyId });
    assert.deepEqual(await readFile(target), await readFile(path));
    const text = await runCli(['pull', 'dns-enum@1.2.0', '--registry', registry, '-o', target]);
    assert.match(text.stdout, /not verified/);
  });

  it('pull with trust flags that the bundle fails: exit 1, nothing written', async (t) => {
    const { dir, bobKey, aliceKey, bundle, registry } = await setup(t);
    await runCli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]);
    const out = join(dir, 'out.aurion');
    const r = await runCli([
      'pull',
      'dns-enum@1.2.0',
      '--registry',
      registry,
      '-o',
      out,
      '--trusted-key',
      bobKey,
      '--json',
    ]);
    assertCliError(r, 1, 'KEY_UNTRUSTED');
    assert.match(r.json.error.message, /out\.aurion/);
    assert.doesNotMatch(r.json.error.message, /aurion-tmp/);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes('out.aurion')),
      [],
    );
  });

  it('a stored bundle that no longer matches the index is DIGEST_MISMATCH (exit 1), nothing written', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    await runCli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]);
    const stored = join(registry, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion');
    const bytes = await readFile(stored);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(stored, bytes);
    const out = join(dir, 'out.aurion');
    await writeFile(out, 'previous');
    const r = await runCli(['pull', 'dns-enum@1.2.0', '--registry', registry, '-o', out, '--json']);
    assertCliError(r, 1, 'DIGEST_MISMATCH');
    assert.equal(await readFile(out, 'utf8'), 'previous');
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes('out.aurion')),
      ['out.aurion'],
    );
  });

  it('with trust flags too, stored bytes that do not match the index are DIGEST_MISMATCH, wherever the damage', async (t) => {
    // pull verifies while it copies; the reader gives up at a damaged first byte, or finds a signed bundle of
    // other bytes, yet the copy's verdict is the one reported.
    const { dir, aliceKey, bundle, registry } = await setup(t);
    await runCli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]);
    const stored = join(registry, 'plugins', 'dns-enum', 'dns-enum-1.2.0.aurion');
    const original = await readFile(stored);
    const other = await readFile(await bundle('1.2.0', { description: 'other bytes, signed all the same' }));
    const damaged = (at: number) => {
      const bytes = Buffer.from(original);
      bytes[at] = bytes[at]! ^ 0xff;
      return bytes;
    };
    for (const [label, bytes] of [
      ['first byte', damaged(0)],
      ['last byte', damaged(original.length - 1)],
      ['another signed bundle', other],
    ] as const) {
      await writeFile(stored, bytes);
      const out = join(dir, 'out.aurion');
      const r = await runCli([
        'pull',
        'dns-enum@1.2.0',
        '--registry',
        registry,
        '-o',
        out,
        '--trusted-key',
        aliceKey,
        '--json',
      ]);
      assertCliError(r, 1, 'DIGEST_MISMATCH');
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.includes('out.aurion')),
        [],
        label,
      );
    }
  });

  it('publish and pull of an unsigned registry never load tuf-js (start-up: tuf-js only with a TUF root)', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    // A preload that notes every package the process requires from node_modules.
    const preload = join(dir, 'note-requires.cjs');
    const noted = join(dir, 'required.txt');
    await writeFile(
      preload,
      `const Module = require('node:module'); const fs = require('node:fs'); const load = Module._load;
Module._load = function (request, ...rest) { fs.appendFileSync(${JSON.stringify(noted)}, request + '\\n'); return load.call(this, request, ...rest); };\n`,
    );
    const cli = (args: string[]) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--require', preload, BIN, ...args], { stdio: 'ignore' });
        child.on('exit', resolve);
      });
    assert.equal(
      await cli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]),
      0,
    );
    assert.equal(
      await cli([
        'pull',
        'dns-enum@^1',
        '--registry',
        registry,
        '-o',
        join(dir, 'p.aurion'),
        '--trusted-key',
        aliceKey,
      ]),
      0,
    );
    const required = (await readFile(noted, 'utf8')).split('\n');
    assert.ok(
      required.some((r) => r.includes('launch.cjs')),
      'the preload saw the CLI load',
    );
    assert.deepEqual(
      required.filter((r) => /tuf|semver/.test(r)),
      [],
    );
  });

  it('pull: unknown name or version NOT_FOUND (4), malformed NAME@VERSION USAGE (2), no registry REGISTRY_ERROR (4)', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    await runCli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]);
    const version = await runCli(['pull', 'dns-enum@9.9.9', '--registry', registry, '--json'], { cwd: dir });
    assertCliError(version, 4, 'NOT_FOUND');
    assert.match(version.stderr, /published versions of dns-enum: 1\.2\.0/);
    assertCliError(
      await runCli(['pull', 'port-scan@1.0.0', '--registry', registry, '--json'], { cwd: dir }),
      4,
      'NOT_FOUND',
    );
    // A bare NAME is the highest release since SPEC §11; an empty version is still malformed.
    for (const bad of ['dns-enum@', 'dns-enum@latest', 'Dns@1.0.0']) {
      assertCliError(await runCli(['pull', bad, '--registry', registry, '--json'], { cwd: dir }), 2, 'USAGE');
    }
    const none = await runCli(['pull', 'dns-enum@1.2.0', '--registry', join(dir, 'nowhere'), '--json'], {
      cwd: dir,
    });
    assertCliError(none, 4, 'REGISTRY_ERROR');
    assertCliError(await runCli(['pull', 'dns-enum@1.2.0', '--json'], { cwd: dir }), 2, 'USAGE');
  });

  it('pull into a folder that does not exist: IO_ERROR (4) naming the output file', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    await runCli(['publish', await bundle(), '--registry', registry, '--trusted-key', aliceKey]);
    const out = join(dir, 'missing', 'x.aurion');
    const r = await runCli(['pull', 'dns-enum@1.2.0', '--registry', registry, '-o', out, '--json']);
    assertCliError(r, 4, 'IO_ERROR');
    assert.match(r.json.error.message, /missing\/x\.aurion: no such file or directory/);
  });

  it('shows progress on a terminal for a large bundle, never with --json', async (t) => {
    const { dir, aliceKey, registry } = await setup(t);
    const { path } = await signedWasmBundle(dir, alice, {
      name: 'big.aurion',
      fields: { version: '5.0.0' },
      module: progressSizedModule(),
    });
    const shown = await runCliOnTty(['publish', path, '--registry', registry, '--trusted-key', aliceKey]);
    assert.match(shown, /\r(verifying|publishing) +\d+% [\d.]+\/[\d.]+ MiB/);
    assert.match(shown, /published dns-enum@5\.0\.0/);
    const pulled = await runCliOnTty([
      'pull',
      'dns-enum@5.0.0',
      '--registry',
      registry,
      '-o',
      join(dir, 'p.aurion'),
    ]);
    assert.match(pulled, /\rdownloading +\d+%/);
    const json = await runCliOnTty([
      'pull',
      'dns-enum@5.0.0',
      '--registry',
      registry,
      '-o',
      join(dir, 'q.aurion'),
      '--json',
    ]);
    assert.doesNotMatch(json, /\r[a-z]+ +\d+%/);
    assert.equal(JSON.parse(json.replace(/\r/g, '')).ok, true);
  });

  it('a corrupted index.json is REGISTRY_ERROR (exit 4) for publish and pull, and is left alone', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    await mkdir(registry);
    await writeFile(join(registry, 'index.json'), '{"schema_version": 1, "plugins": ');
    const p = await runCli([
      'publish',
      await bundle(),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assertCliError(p, 4, 'REGISTRY_ERROR');
    assert.match(p.json.error.message, /index\.json is not valid JSON/);
    const q = await runCli(['pull', 'dns-enum@1.2.0', '--registry', registry, '--json'], { cwd: dir });
    assertCliError(q, 4, 'REGISTRY_ERROR');
    assert.equal(await readFile(join(registry, 'index.json'), 'utf8'), '{"schema_version": 1, "plugins": ');
    assert.deepEqual((await readdir(registry)).sort(), ['index.json']);
  });

  it('8 concurrent publish processes of different versions lose nothing', async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    const paths = await Promise.all(Array.from({ length: 8 }, (_, i) => bundle(`1.0.${i}`)));
    const results = await Promise.all(
      paths.map((p) => runCli(['publish', p, '--registry', registry, '--trusted-key', aliceKey, '--json'])),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const index = JSON.parse(await readFile(join(registry, 'index.json'), 'utf8'));
    assert.deepEqual(
      Object.keys(index.plugins['dns-enum']),
      Array.from({ length: 8 }, (_, i) => `1.0.${i}`),
    );
    for (const [i, p] of paths.entries()) {
      assert.equal(index.plugins['dns-enum'][`1.0.${i}`].sha256, await fileSha(p));
      assert.equal(
        await fileSha(join(registry, 'plugins', 'dns-enum', `dns-enum-1.0.${i}.aurion`)),
        await fileSha(p),
      );
    }
    assert.deepEqual((await readdir(registry)).sort(), ['index.json', 'plugins']);
  });

  it('recovers a stale lock left by a dead process', async (t) => {
    const { aliceKey, bundle, registry } = await setup(t);
    await mkdir(registry, { recursive: true });
    await writeFile(join(registry, '.index.lock'), lockRecord(await deadPid(), hostname()));
    const r = await runCli([
      'publish',
      await bundle(),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readdir(registry)).sort(), ['index.json', 'plugins']);
  });

  it('a publish killed (SIGKILL) at a random moment leaves the registry as it was', async (t) => {
    const { dir, aliceKey, bundle, registry } = await setup(t);
    await runCli(['publish', await bundle('1.0.0'), '--registry', registry, '--trusted-key', aliceKey]);
    const before = await readFile(join(registry, 'index.json'), 'utf8');
    // A 2 MiB module (a custom section of random bytes: incompressible), so that publishing takes a while.
    const big = Buffer.concat([
      TINY_WASM,
      Buffer.from([0x00, 0x81, 0x80, 0x80, 0x01, 0x00]),
      randomBytes(0x200000),
    ]);
    const published: string[] = [];
    for (let round = 0; round < 5; round++) {
      const version = `2.0.${round}`;
      const { path } = await signedWasmBundle(dir, alice, {
        name: `big-${round}.aurion`,
        fields: { version },
        module: big,
      });
      const child = spawn(
        process.execPath,
        [BIN, 'publish', path, '--registry', registry, '--trusted-key', aliceKey],
        {
          stdio: 'ignore',
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      let running = true;
      const exited = new Promise<number | null>((ok) =>
        child.on('exit', (code) => {
          running = false;
          ok(code);
        }),
      );
      // Kill once the publish has started writing into the registry (its staging file appears), after a random
      // few milliseconds more: the kill lands while copying, waiting for the lock, renaming or writing the index.
      const staging = `.aurion-tmp.${child.pid}.`;
      while (running && !(await readdir(registry)).some((n) => n.startsWith(staging))) {
        await new Promise((ok) => setImmediate(ok));
      }
      await new Promise((ok) => setTimeout(ok, Math.floor(Math.random() * 30)));
      child.kill('SIGKILL');
      const code = await exited;
      const index = JSON.parse(await readFile(join(registry, 'index.json'), 'utf8'));
      const versions = Object.keys(index.plugins['dns-enum']);
      // Either the version is fully published (index entry and matching file) or the index is as before.
      if (code === 0 || versions.includes(version)) {
        published.push(version);
        assert.equal(
          await fileSha(join(registry, 'plugins', 'dns-enum', `dns-enum-${version}.aurion`)),
          index.plugins['dns-enum'][version].sha256,
        );
      }
      assert.deepEqual(versions, ['1.0.0', ...published]);
      assert.equal(
        index.plugins['dns-enum']['1.0.0'].sha256,
        JSON.parse(before).plugins['dns-enum']['1.0.0'].sha256,
      );
    }
    // The next publish removes whatever the killed ones left (lock, temporary files, orphan bundles).
    const after = await runCli([
      'publish',
      await bundle('3.0.0'),
      '--registry',
      registry,
      '--trusted-key',
      aliceKey,
    ]);
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual((await readdir(registry)).sort(), ['index.json', 'plugins']);
    const index = JSON.parse(await readFile(join(registry, 'index.json'), 'utf8'));
    assert.deepEqual(
      (await readdir(join(registry, 'plugins', 'dns-enum'))).sort(),
      Object.keys(index.plugins['dns-enum'])
        .map((v) => `dns-enum-${v}.aurion`)
        .sort(),
    );
  });
});
