import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeTestBundle } from '../fixtures/bundles.js';
import { assertEd25519SignedBy, extract, extraFiles, gnupgHome, gpg, gpgconf } from '../fixtures/checkers.js';
import { sha256 } from '../fixtures/digest.js';
import { containerManifestValue, IMAGE_DIGEST } from '../fixtures/manifests.js';
import { seededModule } from '../fixtures/modules.js';
import { writeProject } from '../fixtures/projects.js';
import { assertCliError, ROOT, runCli, tempDir } from '../helpers.js';

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

async function keygen(dir: string, name: string, extra: string[] = []) {
  const r = await runCli(['keygen', '--out', join(dir, name), ...extra, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return { key: join(dir, `${name}.key`), pub: join(dir, `${name}.pub`), keyId: r.json.key_id as string };
}

async function pgpKeygen(dir: string, name: string) {
  const r = await runCli([
    'keygen',
    '--type',
    'pgp',
    '--user-id',
    `${name} <${name}@example.org>`,
    '--out',
    join(dir, name),
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  return {
    key: join(dir, `${name}.pgp.key`),
    pub: join(dir, `${name}.pgp.pub`),
    fingerprint: r.json.fingerprint as string,
  };
}

describe('sign (Ed25519, wasm bundles)', () => {
  it('adds signature.ed25519 that OpenSSL verifies over the raw module and manifest digests', async (t) => {
    const dir = await tempDir(t);
    const { key, pub, keyId } = await keygen(dir, 'alice');
    const bundle = await writeTestBundle(join(dir, 'dns-enum-1.2.0.aurion'));
    const r = await runCli(['sign', bundle, '--key', key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(r.json).sort(), ['bundle', 'key_id', 'ok', 'sha256']);
    assert.equal(r.json.bundle, bundle);
    assert.equal(r.json.key_id, keyId);
    assert.equal(r.json.sha256, sha256(await readFile(bundle)));
    const { envelope, entries } = await assertEd25519SignedBy(bundle, pub, dir);
    assert.deepEqual([...entries.keys()], ['manifest.json', 'module.wasm', 'signature.ed25519']);
    assert.deepEqual(entries.get('module.wasm'), seededModule());
    assert.equal(envelope.key_id, keyId);
    assert.deepEqual(Object.keys(envelope), [
      'schema_version',
      'algorithm',
      'key_id',
      'subject',
      'signature',
      'manifest_sha256',
      'manifest_signature',
    ]);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes('aurion-tmp')),
      [],
      'no temporary file left',
    );
  });

  it('is deterministic: the same key and bundle give byte-identical signed bundles, in place or with -o', async (t) => {
    const dir = await tempDir(t);
    const { key } = await keygen(dir, 'k');
    const a = await writeTestBundle(join(dir, 'a.aurion'));
    const b = await writeTestBundle(join(dir, 'b.aurion'));
    const unsigned = await readFile(a);
    assert.equal((await runCli(['sign', a, '--key', key])).code, 0);
    const out = await runCli(['sign', b, '-o', join(dir, 'c.aurion'), '--key', key, '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(await readFile(join(dir, 'c.aurion')), await readFile(a));
    assert.deepEqual(await readFile(b), unsigned, '-o leaves the input as it was');
    assert.notDeepEqual(await readFile(a), unsigned);
  });

  it('prints the bundle and key id without --json', async (t) => {
    const dir = await tempDir(t);
    const { key, keyId } = await keygen(dir, 'k');
    const bundle = await writeTestBundle(join(dir, 'b.aurion'));
    const r = await runCli(['sign', bundle, '--key', key]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /signed .*b\.aurion/);
    assert.match(r.stdout, new RegExp(`Ed25519 key id: ${keyId}`));
  });

  it('refuses to replace a signature without --force (ALREADY_EXISTS, exit 4); --force replaces it', async (t) => {
    const dir = await tempDir(t);
    const first = await keygen(dir, 'first');
    const second = await keygen(dir, 'second');
    const bundle = await writeTestBundle(join(dir, 'b.aurion'));
    assert.equal((await runCli(['sign', bundle, '--key', first.key])).code, 0);
    const signed = await readFile(bundle);
    const r = await runCli(['sign', bundle, '--key', second.key, '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    assert.match(r.json.error.message, /already has signature\.ed25519/);
    assert.deepEqual(await readFile(bundle), signed);
    const forced = await runCli(['sign', bundle, '--key', second.key, '--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.json.key_id, second.keyId);
    const { envelope } = await assertEd25519SignedBy(bundle, second.pub, dir);
    assert.equal(envelope.key_id, second.keyId);
  });

  it('signs with keys made by OpenSSL: plain, and -aes-256-cbc encrypted (passphrase file or environment)', async (t) => {
    const dir = await tempDir(t);
    const plain = join(dir, 'o.key');
    const encrypted = join(dir, 'oe.key');
    openssl(['genpkey', '-algorithm', 'ed25519', '-out', plain]);
    openssl([
      'genpkey',
      '-algorithm',
      'ed25519',
      '-aes-256-cbc',
      '-pass',
      'pass:hunter2 hunter2',
      '-out',
      encrypted,
    ]);
    openssl(['pkey', '-in', plain, '-pubout', '-out', join(dir, 'o.pub')]);
    openssl([
      'pkey',
      '-in',
      encrypted,
      '-passin',
      'pass:hunter2 hunter2',
      '-pubout',
      '-out',
      join(dir, 'oe.pub'),
    ]);
    await writeFile(join(dir, 'pass.txt'), 'hunter2 hunter2\n');

    const b1 = await writeTestBundle(join(dir, 'b1.aurion'));
    assert.equal((await runCli(['sign', b1, '--key', plain, '--json'])).code, 0);
    await assertEd25519SignedBy(b1, join(dir, 'o.pub'), dir);

    const b2 = await writeTestBundle(join(dir, 'b2.aurion'));
    const r2 = await runCli([
      'sign',
      b2,
      '--key',
      encrypted,
      '--passphrase-file',
      join(dir, 'pass.txt'),
      '--json',
    ]);
    assert.equal(r2.code, 0, r2.stderr);
    await assertEd25519SignedBy(b2, join(dir, 'oe.pub'), dir);

    const b3 = await writeTestBundle(join(dir, 'b3.aurion'));
    const r3 = await runCli(['sign', b3, '--key', encrypted, '--json'], {
      env: { AURION_KEY_PASSPHRASE: 'hunter2 hunter2' },
    });
    assert.equal(r3.code, 0, r3.stderr);
    await assertEd25519SignedBy(b3, join(dir, 'oe.pub'), dir);
  });

  it('OpenSSL opens a key encrypted by keygen, and the bundle it signs verifies with the .pub', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'pass.txt'), 's3cret');
    const { key, pub } = await keygen(dir, 'k', ['--passphrase-file', join(dir, 'pass.txt')]);
    const derived = openssl(['pkey', '-in', key, '-passin', 'pass:s3cret', '-pubout']).toString();
    assert.equal(derived, await readFile(pub, 'utf8'));
    const bundle = await writeTestBundle(join(dir, 'b.aurion'));
    const r = await runCli([
      'sign',
      bundle,
      '--key',
      key,
      '--passphrase-file',
      join(dir, 'pass.txt'),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await assertEd25519SignedBy(bundle, pub, dir);
  });

  it('takes the key from AURION_SIGNING_KEY (PEM text); --key wins over the environment', async (t) => {
    const dir = await tempDir(t);
    const { key, pub, keyId } = await keygen(dir, 'ci');
    const bundle = await writeTestBundle(join(dir, 'b.aurion'));
    const r = await runCli(['sign', bundle, '--json'], {
      env: { AURION_SIGNING_KEY: await readFile(key, 'utf8') },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.key_id, keyId);
    await assertEd25519SignedBy(bundle, pub, dir);

    const other = await writeTestBundle(join(dir, 'o.aurion'));
    const flagged = await runCli(['sign', other, '--key', key, '--json'], {
      env: { AURION_SIGNING_KEY: 'garbage' },
    });
    assert.equal(flagged.code, 0, flagged.stderr);
  });

  describe('bad keys: KEY_INVALID (exit 3), the bundle untouched and no file left behind', () => {
    const cases: Array<[string, (dir: string) => Promise<string[]>, RegExp]> = [
      [
        'an RSA key',
        async (dir) => {
          openssl([
            'genpkey',
            '-algorithm',
            'rsa',
            '-pkeyopt',
            'rsa_keygen_bits:1024',
            '-out',
            join(dir, 'bad.key'),
          ]);
          return ['--key', join(dir, 'bad.key')];
        },
        /an RSA key, not Ed25519/,
      ],
      [
        'an EC key',
        async (dir) => {
          openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'bad.key')]);
          return ['--key', join(dir, 'bad.key')];
        },
        /EC \(ECDSA\) private key/,
      ],
      [
        'garbage',
        async (dir) => {
          await writeFile(join(dir, 'bad.key'), 'this is not a key\n');
          return ['--key', join(dir, 'bad.key')];
        },
        /not a PEM file/,
      ],
      [
        'a public key',
        async (dir) => {
          await keygen(dir, 'bad');
          return ['--key', join(dir, 'bad.pub')];
        },
        /it is a public key/,
      ],
      [
        'an encrypted key with the wrong passphrase',
        async (dir) => {
          openssl([
            'genpkey',
            '-algorithm',
            'ed25519',
            '-aes-256-cbc',
            '-pass',
            'pass:right',
            '-out',
            join(dir, 'bad.key'),
          ]);
          await writeFile(join(dir, 'bad.pass'), 'wrong\n');
          return ['--key', join(dir, 'bad.key'), '--passphrase-file', join(dir, 'bad.pass')];
        },
        /wrong passphrase/,
      ],
      [
        'an encrypted key without a passphrase',
        async (dir) => {
          openssl([
            'genpkey',
            '-algorithm',
            'ed25519',
            '-aes-256-cbc',
            '-pass',
            'pass:right',
            '-out',
            join(dir, 'bad.key'),
          ]);
          return ['--key', join(dir, 'bad.key')];
        },
        /encrypted and no passphrase was given/,
      ],
    ];
    for (const [what, setup, expected] of cases) {
      it(what, async (t) => {
        const dir = await tempDir(t);
        const bundle = await writeTestBundle(join(dir, 'b.aurion'));
        const before = await readFile(bundle);
        const args = await setup(dir);
        const listing = (await readdir(dir)).sort();
        const r = await runCli(['sign', bundle, ...args, '--json']);
        assertCliError(r, 3, 'KEY_INVALID');
        assert.match(r.json.error.message, expected);
        assert.deepEqual(await readFile(bundle), before);
        assert.deepEqual((await readdir(dir)).sort(), listing);
      });
    }

    it('garbage in AURION_SIGNING_KEY names the variable, not its content', async (t) => {
      const dir = await tempDir(t);
      const bundle = await writeTestBundle(join(dir, 'b.aurion'));
      const r = await runCli(['sign', bundle, '--json'], { env: { AURION_SIGNING_KEY: 'sekrit-not-a-pem' } });
      assertCliError(r, 3, 'KEY_INVALID');
      assert.match(r.json.error.message, /AURION_SIGNING_KEY/);
      assert.ok(!r.stdout.includes('sekrit') && !r.stderr.includes('sekrit'));
    });
  });

  it('no key at all is USAGE (exit 2); a key file that does not exist is IO_ERROR (exit 4)', async (t) => {
    const dir = await tempDir(t);
    const bundle = await writeTestBundle(join(dir, 'b.aurion'));
    const none = await runCli(['sign', bundle, '--json'], {
      env: { AURION_SIGNING_KEY: undefined, AURION_PGP_KEY: undefined },
    });
    assertCliError(none, 2, 'USAGE');
    assertCliError(await runCli(['sign', bundle, '--json'], { env: { AURION_SIGNING_KEY: '' } }), 2, 'USAGE');
    const missing = await runCli(['sign', bundle, '--key', join(dir, 'nope.key'), '--json']);
    assertCliError(missing, 4, 'IO_ERROR');
    assert.match(missing.json.error.message, /nope\.key/);
    assert.deepEqual(await readdir(dir), ['b.aurion']);
  });

  it('checks the bundle first: tampered module DIGEST_MISMATCH (1), junk BUNDLE_INVALID (3), missing IO_ERROR (4)', async (t) => {
    const dir = await tempDir(t);
    const { key } = await keygen(dir, 'k');
    const tampered = await writeTestBundle(join(dir, 't.aurion'), { declaredSha256: 'ab'.repeat(32) });
    const before = await readFile(tampered);
    assertCliError(await runCli(['sign', tampered, '--key', key, '--json']), 1, 'DIGEST_MISMATCH');
    assert.deepEqual(await readFile(tampered), before);
    await writeFile(join(dir, 'junk.aurion'), 'not a bundle');
    assertCliError(
      await runCli(['sign', join(dir, 'junk.aurion'), '--key', key, '--json']),
      3,
      'BUNDLE_INVALID',
    );
    assertCliError(await runCli(['sign', join(dir, 'none.aurion'), '--key', key, '--json']), 4, 'IO_ERROR');
    assert.deepEqual(await extraFiles(dir, ['k.key', 'k.pub', 't.aurion', 'junk.aurion']), []);
  });

  it('--max-module-size: a module over the limit is BUNDLE_INVALID (3), a junk size USAGE (2)', async (t) => {
    const dir = await tempDir(t);
    const { key } = await keygen(dir, 'k');
    const bundle = await writeTestBundle(join(dir, 'b.aurion'));
    const small = await runCli(['sign', bundle, '--key', key, '--max-module-size', '100', '--json']);
    assertCliError(small, 3, 'BUNDLE_INVALID');
    assertCliError(
      await runCli(['sign', bundle, '--key', key, '--max-module-size', 'lots', '--json']),
      2,
      'USAGE',
    );
    const ok = await runCli(['sign', bundle, '--key', key, '--max-module-size', '1MiB', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('signs the example bundle of the README walkthrough with keys-example/example.key', async (t) => {
    const dir = await tempDir(t);
    const bundle = await writeTestBundle(join(dir, 'b.aurion'));
    const r = await runCli(['sign', bundle, '--key', join(ROOT, 'keys-example', 'example.key'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.key_id, '068e417e6ff17a18');
    await assertEd25519SignedBy(bundle, join(ROOT, 'keys-example', 'example.pub'), dir);
  });
});

describe('sign (container bundles)', () => {
  it('Ed25519 signs the image digest from container.image', async (t) => {
    const dir = await tempDir(t);
    const { key, pub } = await keygen(dir, 'k');
    const bundle = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container' });
    const r = await runCli(['sign', bundle, '--key', key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { envelope, entries } = await assertEd25519SignedBy(bundle, pub, dir);
    assert.deepEqual(envelope.subject, { kind: 'container-image', sha256: IMAGE_DIGEST });
    assert.deepEqual([...entries.keys()], ['manifest.json', 'signature.ed25519']);
  });

  it('--pgp-key adds signature.asc that `gpg --verify signature.asc manifest.json` accepts', async (t) => {
    const dir = await tempDir(t);
    const ops = await pgpKeygen(dir, 'ops');
    const bundle = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container' });
    const r = await runCli(['sign', bundle, '--pgp-key', ops.key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(r.json).sort(), ['bundle', 'fingerprint', 'ok', 'sha256']);
    assert.equal(r.json.fingerprint, ops.fingerprint);

    const entries = await extract(bundle, dir);
    assert.deepEqual([...entries.keys()], ['manifest.json', 'signature.asc']);
    const home = await gnupgHome(dir);
    assert.equal(gpg(home, ['--import', ops.pub]).status, 0);
    await writeFile(join(dir, 'manifest.json'), entries.get('manifest.json')!);
    await writeFile(join(dir, 'signature.asc'), entries.get('signature.asc')!);
    const verified = gpg(home, ['--verify', join(dir, 'signature.asc'), join(dir, 'manifest.json')]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /Good signature from "ops <ops@example.org>"/);
    // The signature covers the exact bytes: one changed byte fails.
    await writeFile(
      join(dir, 'manifest.json'),
      Buffer.concat([entries.get('manifest.json')!, Buffer.from(' ')]),
    );
    assert.notEqual(
      gpg(home, ['--verify', join(dir, 'signature.asc'), join(dir, 'manifest.json')]).status,
      0,
    );
  });

  it('signs with a key made and exported by GnuPG (passphrase-protected), and GnuPG verifies it', async (t) => {
    const dir = await tempDir(t);
    const home = await gnupgHome(dir);
    t.after(() => gpgconf(home, ['--kill', 'gpg-agent']));
    const made = gpg(home, [
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      'gpg pass',
      '--quick-gen-key',
      'Gpg User <gpg@example.org>',
      'ed25519',
      'sign',
      'never',
    ]);
    assert.equal(made.status, 0, made.stderr);
    const exported = gpg(home, [
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      'gpg pass',
      '--armor',
      '--export-secret-keys',
    ]);
    assert.equal(exported.status, 0, exported.stderr);
    await writeFile(join(dir, 'gpg.key'), exported.stdout);
    await writeFile(join(dir, 'pass.txt'), 'gpg pass\n');
    const bundle = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container' });
    const r = await runCli([
      'sign',
      bundle,
      '--pgp-key',
      join(dir, 'gpg.key'),
      '--passphrase-file',
      join(dir, 'pass.txt'),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const entries = await extract(bundle, dir);
    await writeFile(join(dir, 'manifest.json'), entries.get('manifest.json')!);
    await writeFile(join(dir, 'signature.asc'), entries.get('signature.asc')!);
    const verified = gpg(home, ['--verify', join(dir, 'signature.asc'), join(dir, 'manifest.json')]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.ok(verified.stderr.toLowerCase().includes(r.json.fingerprint), verified.stderr);
  });

  it('a container bundle carries both signatures: the second one signed keeps the first', async (t) => {
    const dir = await tempDir(t);
    const ed = await keygen(dir, 'k');
    const ops = await pgpKeygen(dir, 'ops');
    const bundle = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container' });
    assert.equal((await runCli(['sign', bundle, '--key', ed.key])).code, 0);
    const r = await runCli(['sign', bundle, '--json'], {
      env: { AURION_PGP_KEY: await readFile(ops.key, 'utf8') },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.fingerprint, ops.fingerprint);
    const { entries } = await assertEd25519SignedBy(bundle, ed.pub, dir);
    assert.deepEqual([...entries.keys()], ['manifest.json', 'signature.asc', 'signature.ed25519']);

    const again = await runCli(['sign', bundle, '--pgp-key', ops.key, '--json']);
    assertCliError(again, 4, 'ALREADY_EXISTS');
    assert.match(again.json.error.message, /already has signature\.asc/);
  });

  it('both keys in one call sign both ways', async (t) => {
    const dir = await tempDir(t);
    const ed = await keygen(dir, 'k');
    const ops = await pgpKeygen(dir, 'ops');
    const bundle = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container' });
    const r = await runCli(['sign', bundle, '--key', ed.key, '--pgp-key', ops.key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.key_id, ed.keyId);
    assert.equal(r.json.fingerprint, ops.fingerprint);
  });

  it('an OpenPGP key on a wasm bundle is KEY_INVALID (exit 3), nothing written', async (t) => {
    const dir = await tempDir(t);
    const ops = await pgpKeygen(dir, 'ops');
    const bundle = await writeTestBundle(join(dir, 'w.aurion'));
    const before = await readFile(bundle);
    const r = await runCli(['sign', bundle, '--pgp-key', ops.key, '-o', join(dir, 'out.aurion'), '--json']);
    assertCliError(r, 3, 'KEY_INVALID');
    assert.match(r.json.error.message, /OpenPGP signs container bundles only/);
    assert.deepEqual(await readFile(bundle), before);
    assert.deepEqual(await extraFiles(dir, ['ops.pgp.key', 'ops.pgp.pub', 'ops.pgp.rev', 'w.aurion']), []);
  });

  it('an Ed25519 PEM key given as --pgp-key is KEY_INVALID (exit 3)', async (t) => {
    const dir = await tempDir(t);
    const ed = await keygen(dir, 'k');
    const bundle = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container' });
    const before = await readFile(bundle);
    assertCliError(await runCli(['sign', bundle, '--pgp-key', ed.key, '--json']), 3, 'KEY_INVALID');
    assert.deepEqual(await readFile(bundle), before);
  });
});

describe('build -> sign (the real builder)', () => {
  it('signs what `build` writes; two builds signed with the same key are byte-identical', async (t) => {
    const root = await tempDir(t);
    const dir = join(root, 'dns-enum');
    await writeProject(dir);
    const { key, pub } = await keygen(root, 'alice');
    const env = { SOURCE_DATE_EPOCH: '1767225600' };
    for (const name of ['a', 'b']) {
      const built = await runCli(['build', dir, '-o', join(root, `${name}.aurion`), '--json'], { env });
      assert.equal(built.code, 0, built.stderr);
      const signed = await runCli(['sign', join(root, `${name}.aurion`), '--key', key, '--json']);
      assert.equal(signed.code, 0, signed.stderr);
    }
    assert.deepEqual(await readFile(join(root, 'a.aurion')), await readFile(join(root, 'b.aurion')));
    const { entries } = await assertEd25519SignedBy(join(root, 'a.aurion'), pub, root);
    assert.deepEqual([...entries.keys()], ['manifest.json', 'module.wasm', 'signature.ed25519']);
  });

  it('signs a built container bundle with Ed25519 and OpenPGP', async (t) => {
    const root = await tempDir(t);
    const dir = join(root, 'port-scan');
    await writeProject(dir, containerManifestValue(), null);
    const built = await runCli(['build', dir, '-o', join(root, 'c.aurion'), '--json']);
    assert.equal(built.code, 0, built.stderr);
    const ed = await keygen(root, 'k');
    const ops = await pgpKeygen(root, 'ops');
    const r = await runCli(['sign', join(root, 'c.aurion'), '--key', ed.key, '--pgp-key', ops.key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { envelope } = await assertEd25519SignedBy(join(root, 'c.aurion'), ed.pub, root, IMAGE_DIGEST);
    assert.equal(envelope.subject.kind, 'container-image');
  });
});
