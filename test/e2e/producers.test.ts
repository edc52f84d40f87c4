/**
 * Bundles made by other tools verify (issue part 5): archives written by Python's tarfile and GNU tar,
 * Ed25519 signatures made by `openssl pkeyutl -sign -rawin`, detached signatures made by
 * `gpg --detach-sign --armor`. A bundle that follows SPEC verifies no matter which tool produced it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerManifest, wasmManifest } from '../fixtures/manifests.js';
import { TINY_WASM } from '../fixtures/modules.js';
import { runCli, tempDir } from '../helpers.js';

const run = (cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });

/** Python's tarfile, gzip-compressed, entries named by their base names. */
function pythonTar(out: string, dir: string, names: readonly string[]): void {
  run(
    'python3',
    [
      '-c',
      'import sys, tarfile\nwith tarfile.open(sys.argv[1], "w:gz") as t:\n    for n in sys.argv[2:]:\n        t.add(n, arcname=n)\n',
      out,
      ...names,
    ],
    { cwd: dir },
  );
}

/** GNU tar with its defaults (GNU format), gzip-compressed. */
function gnuTar(out: string, dir: string, names: readonly string[]): void {
  run('tar', ['-czf', out, '-C', dir, ...names]);
}

const codes = (json: { results: Array<{ errors: Array<{ code: string }> }> }) =>
  json.results[0]!.errors.map((e) => e.code);

describe('independent producers: OpenSSL signatures in Python and GNU tar archives', () => {
  it('verifies, and the key id is the one computed from the OpenSSL key', async (t) => {
    const dir = await tempDir(t);
    const src = join(dir, 'src');
    await mkdir(src);
    run('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'key.pem')]);
    run('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-pubout', '-out', join(dir, 'key.pub')]);
    const der = run('openssl', ['pkey', '-pubin', '-in', join(dir, 'key.pub'), '-outform', 'DER']);
    const raw = der.subarray(der.length - 32);
    await writeFile(join(dir, 'raw.bin'), raw);
    const id = run('openssl', ['dgst', '-sha256', '-r', join(dir, 'raw.bin')])
      .toString()
      .slice(0, 16);

    await writeFile(join(src, 'module.wasm'), TINY_WASM);
    await writeFile(join(src, 'manifest.json'), wasmManifest(TINY_WASM, { name: 'openssl-signed' }));
    const digest = (file: string) => {
      const out = join(dir, `${file}.sha256`);
      run('openssl', ['dgst', '-sha256', '-binary', '-out', out, join(src, file)]);
      return out;
    };
    const signRaw = (digestFile: string) =>
      run('openssl', [
        'pkeyutl',
        '-sign',
        '-rawin',
        '-inkey',
        join(dir, 'key.pem'),
        '-in',
        digestFile,
      ]).toString('base64');
    const moduleDigest = digest('module.wasm');
    const manifestDigest = digest('manifest.json');
    const envelope = {
      schema_version: 1,
      algorithm: 'ed25519',
      key_id: id,
      subject: { kind: 'wasm-module', sha256: (await readFile(moduleDigest)).toString('hex') },
      signature: signRaw(moduleDigest),
      manifest_sha256: (await readFile(manifestDigest)).toString('hex'),
      manifest_signature: signRaw(manifestDigest),
    };
    await writeFile(join(src, 'signature.ed25519'), JSON.stringify(envelope));

    const names = ['manifest.json', 'module.wasm', 'signature.ed25519'];
    const py = join(dir, 'python.aurion');
    pythonTar(py, src, names);
    const gnu = join(dir, 'gnu.aurion');
    gnuTar(gnu, src, names);
    // Entry order is not checked by readers.
    const reordered = join(dir, 'reordered.aurion');
    gnuTar(reordered, src, [...names].reverse());

    const r = await runCli(['verify', py, gnu, reordered, '--trusted-key', join(dir, 'key.pub'), '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const result of r.json.results) {
      assert.deepEqual(result.signer, { algorithm: 'ed25519', key_id: id });
      assert.equal(result.plugin.name, 'openssl-signed');
    }

    // The same OpenSSL key trusted through a policy, with the key id OpenSSL's digest gave.
    await writeFile(
      join(dir, 'policy.json'),
      JSON.stringify({
        schema_version: 1,
        keys: [{ key_id: id, public_key_file: 'key.pub', plugins: ['openssl-*'] }],
      }),
    );
    const p = await runCli(['verify', py, '--trust-policy', join(dir, 'policy.json'), '--json']);
    assert.equal(p.code, 0, p.stdout);
  });
});

describe('independent producers: GnuPG detached signatures', () => {
  let home = '';
  let work = '';
  const gpg = (args: readonly string[], cwd?: string) =>
    run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
      env: { ...process.env, GNUPGHOME: home },
      ...(cwd === undefined ? {} : { cwd }),
    });
  let fingerprint = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'aurion-gpg-'));
    home = join(work, 'gnupg');
    await mkdir(home, { mode: 0o700 });
    gpg(['--quick-gen-key', 'Ops <ops@example.org>', 'ed25519', 'sign', 'never']);
    const colons = gpg(['--with-colons', '--list-keys', 'ops@example.org']).toString();
    fingerprint = /^fpr:(?:[^:]*:){8}([0-9A-F]+):/m.exec(colons)![1]!;
    await writeFile(join(work, 'ops.asc'), gpg(['--armor', '--export', 'ops@example.org']));
  });
  after(async () => {
    try {
      run('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: home } });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  async function containerBundle(name: string, signArgs: readonly string[]): Promise<string> {
    const src = join(work, name);
    await mkdir(src);
    await writeFile(join(src, 'manifest.json'), containerManifest());
    gpg([...signArgs, '--detach-sign', '--armor', '-o', 'signature.asc', 'manifest.json'], src);
    const out = join(work, `${name}.aurion`);
    pythonTar(out, src, ['manifest.json', 'signature.asc']);
    return out;
  }

  it('a gpg --detach-sign --armor signature verifies with the exported key, by --pgp-keyring and by policy', async () => {
    const bundle = await containerBundle('binary', []);
    const r = await runCli(['verify', bundle, '--pgp-keyring', join(work, 'ops.asc'), '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json.results[0].signer, {
      algorithm: 'openpgp',
      fingerprint: fingerprint.toLowerCase(),
    });

    await writeFile(
      join(work, 'policy.json'),
      JSON.stringify({
        schema_version: 1,
        pgp_keys: [
          {
            fingerprint,
            public_key_file: 'ops.asc',
            name: 'ops',
            max_risk_class: 'Medium',
            plugins: ['port-*'],
          },
        ],
      }),
    );
    const p = await runCli(['verify', bundle, '--trust-policy', join(work, 'policy.json'), '--json']);
    assert.equal(p.code, 0, p.stdout);
    assert.equal(p.json.results[0].signer.name, 'ops');

    await writeFile(
      join(work, 'policy-low.json'),
      JSON.stringify({
        schema_version: 1,
        pgp_keys: [{ fingerprint, public_key_file: 'ops.asc', max_risk_class: 'Low' }],
      }),
    );
    const low = await runCli(['verify', bundle, '--trust-policy', join(work, 'policy-low.json'), '--json']);
    assert.equal(low.code, 1);
    assert.deepEqual(codes(low.json), ['RISK_NOT_ALLOWED']);

    const i = await runCli(['inspect', bundle, '--json']);
    assert.equal(i.code, 0, i.stderr);
    const asc = i.json.signatures[0];
    assert.equal(asc.file, 'signature.asc');
    assert.equal(asc.fingerprint, fingerprint.toLowerCase());
    assert.equal(asc.key_id, fingerprint.toLowerCase().slice(24));
    assert.equal(asc.mode, 'binary');
    assert.ok(!Number.isNaN(Date.parse(asc.created)));

    const human = await runCli(['inspect', bundle, '--pgp-keyring', join(work, 'ops.asc')]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^Runtime: container\n {2}image +registry\.example\/org\/port-scan$/m);
    assert.match(human.stdout, /^ {2}digest +sha256:a{64}$/m);
    assert.match(human.stdout, /^ {2}user +10001:10001$/m);
    assert.match(human.stdout, /^ {2}root fs +read-only$/m);
    assert.match(human.stdout, /^ {2}env +API_TOKEN$/m);
    assert.match(
      human.stdout,
      new RegExp(`^ {2}signature\\.asc {2}OpenPGP ${fingerprint.toLowerCase()}; binary mode, SHA\\d+`, 'm'),
    );
    assert.match(
      human.stdout,
      new RegExp(`verdict {2}✓ verified, signed by OpenPGP ${fingerprint.toLowerCase()}`),
    );
  });

  it('a gpg --textmode signature is refused (SIGNATURE_INVALID)', async () => {
    const bundle = await containerBundle('text', ['--textmode']);
    const r = await runCli(['verify', bundle, '--pgp-keyring', join(work, 'ops.asc'), '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(codes(r.json), ['SIGNATURE_INVALID']);
    const i = await runCli(['inspect', bundle, '--json']);
    assert.equal(i.json.signatures[0].mode, 'text');
  });
  // Runs last: it adds a signing subkey, which gpg would prefer for later signatures.
  it('a signature by a signing subkey counts for its primary key; revoking the subkey revokes it', async () => {
    gpg(['--quick-add-key', fingerprint, 'ed25519', 'sign', 'never']);
    const colons = gpg(['--with-colons', '--list-keys', fingerprint]).toString();
    const fprs = [...colons.matchAll(/^fpr:(?:[^:]*:){8}([0-9A-F]+):/gm)].map((m) => m[1]!);
    const subkey = fprs.find((f) => f !== fingerprint)!;
    assert.ok(subkey !== undefined, colons);
    await writeFile(join(work, 'ops-sub.asc'), gpg(['--armor', '--export', fingerprint]));
    const bundle = await containerBundle('subkey', ['--local-user', `${subkey}!`]);
    const ok = await runCli(['verify', bundle, '--pgp-keyring', join(work, 'ops-sub.asc'), '--json']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.deepEqual(ok.json.results[0].signer, {
      algorithm: 'openpgp',
      fingerprint: fingerprint.toLowerCase(),
    });

    await writeFile(
      join(work, 'policy-sub.json'),
      JSON.stringify({
        schema_version: 1,
        pgp_keys: [{ fingerprint, public_key_file: 'ops-sub.asc' }],
        revoked: [subkey],
      }),
    );
    const revoked = await runCli([
      'verify',
      bundle,
      '--trust-policy',
      join(work, 'policy-sub.json'),
      '--json',
    ]);
    assert.equal(revoked.code, 1);
    assert.deepEqual(codes(revoked.json), ['KEY_REVOKED']);
  });
});
