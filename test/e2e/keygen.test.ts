import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gnupgHome, gpg } from '../fixtures/checkers.js';
import { assertCliError, runCli, tempDir } from '../helpers.js';

const openssl = (args: string[], env?: Record<string, string>) =>
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });

/** The key id computed independently: OpenSSL's DER of the public key, its last 32 bytes, SHA-256. */
function opensslKeyId(pubFile: string): string {
  const der = openssl(['pkey', '-pubin', '-in', pubFile, '-outform', 'DER']);
  return createHash('sha256')
    .update(der.subarray(der.length - 32))
    .digest('hex')
    .slice(0, 16);
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('keygen (Ed25519)', () => {
  it('writes PREFIX.key (0600) and PREFIX.pub that OpenSSL reads, and prints the key id', async (t) => {
    const dir = await tempDir(t);
    const prefix = join(dir, 'alice');
    const r = await runCli(['keygen', '--out', prefix, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(r.json).sort(), ['key_id', 'ok', 'private_key', 'public_key']);
    assert.equal(r.json.private_key, `${prefix}.key`);
    assert.equal(r.json.public_key, `${prefix}.pub`);
    assert.match(r.json.key_id, /^[0-9a-f]{16}$/);
    assert.equal(await mode(`${prefix}.key`), 0o600);
    assert.match(await readFile(`${prefix}.key`, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
    const derived = openssl(['pkey', '-in', `${prefix}.key`, '-pubout']).toString();
    assert.equal(derived, await readFile(`${prefix}.pub`, 'utf8'));
    assert.equal(r.json.key_id, opensslKeyId(`${prefix}.pub`));
    assert.deepEqual((await readdir(dir)).sort(), ['alice.key', 'alice.pub']);
  });

  it('prints the files and the key id without --json', async (t) => {
    const dir = await tempDir(t);
    const r = await runCli(['keygen', '--out', join(dir, 'k')]);
    assert.equal(r.code, 0, r.stderr);
    const keyId = opensslKeyId(join(dir, 'k.pub'));
    assert.match(r.stdout, new RegExp(`key id: ${keyId}`));
    assert.match(r.stdout, /k\.key \(private key, mode 0600/);
  });

  it('encrypts the private key with --passphrase-file; OpenSSL opens it with that passphrase only', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'pass.txt'), 'correct horse battery staple\n');
    const prefix = join(dir, 'enc');
    const r = await runCli(['keygen', '--out', prefix, '--passphrase-file', join(dir, 'pass.txt'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await readFile(`${prefix}.key`, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    // -passin file: reads the first line without its newline, as aurion-plugin does.
    const derived = openssl([
      'pkey',
      '-in',
      `${prefix}.key`,
      '-passin',
      `file:${join(dir, 'pass.txt')}`,
      '-pubout',
    ]);
    assert.equal(derived.toString(), await readFile(`${prefix}.pub`, 'utf8'));
    assert.throws(() => openssl(['pkey', '-in', `${prefix}.key`, '-passin', 'pass:wrong', '-pubout']));
    assert.equal(await mode(`${prefix}.key`), 0o600);
  });

  it('encrypts with AURION_KEY_PASSPHRASE from the environment', async (t) => {
    const dir = await tempDir(t);
    const prefix = join(dir, 'ci');
    const r = await runCli(['keygen', '--out', prefix, '--json'], {
      env: { AURION_KEY_PASSPHRASE: 'from env' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(await readFile(`${prefix}.key`, 'utf8'), /ENCRYPTED PRIVATE KEY/);
    const derived = openssl(['pkey', '-in', `${prefix}.key`, '-passin', 'env:PW', '-pubout'], {
      PW: 'from env',
    });
    assert.equal(derived.toString(), await readFile(`${prefix}.pub`, 'utf8'));
  });

  it('never overwrites: an existing PREFIX.pub or PREFIX.key is ALREADY_EXISTS (exit 4), nothing written', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'a.pub'), 'mine');
    const r = await runCli(['keygen', '--out', join(dir, 'a'), '--json']);
    assertCliError(r, 4, 'ALREADY_EXISTS');
    assert.match(r.json.error.message, /a\.pub already exists/);
    assert.deepEqual(await readdir(dir), ['a.pub']);
    assert.equal(await readFile(join(dir, 'a.pub'), 'utf8'), 'mine');

    await writeFile(join(dir, 'b.key'), 'my key');
    const r2 = await runCli(['keygen', '--out', join(dir, 'b'), '--json']);
    assertCliError(r2, 4, 'ALREADY_EXISTS');
    assert.deepEqual((await readdir(dir)).sort(), ['a.pub', 'b.key']);
    assert.equal(await readFile(join(dir, 'b.key'), 'utf8'), 'my key');

    const first = await runCli(['keygen', '--out', join(dir, 'c'), '--json']);
    assert.equal(first.code, 0, first.stderr);
    const before = await readFile(join(dir, 'c.key'));
    assertCliError(await runCli(['keygen', '--out', join(dir, 'c'), '--json']), 4, 'ALREADY_EXISTS');
    assert.deepEqual(await readFile(join(dir, 'c.key')), before);
  });

  it('a missing folder or passphrase file is IO_ERROR (exit 4); nothing is written', async (t) => {
    const dir = await tempDir(t);
    assertCliError(await runCli(['keygen', '--out', join(dir, 'no', 'such', 'k'), '--json']), 4, 'IO_ERROR');
    const r = await runCli([
      'keygen',
      '--out',
      join(dir, 'k'),
      '--passphrase-file',
      join(dir, 'nope'),
      '--json',
    ]);
    assertCliError(r, 4, 'IO_ERROR');
    assert.match(r.json.error.message, /nope/);
    assert.deepEqual(await readdir(dir), []);
  });

  it('an empty or multi-line passphrase file is USAGE (exit 2); nothing is written', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'empty'), '\n');
    await writeFile(join(dir, 'two'), 'one\ntwo\n');
    for (const file of ['empty', 'two']) {
      const r = await runCli([
        'keygen',
        '--out',
        join(dir, 'k'),
        '--passphrase-file',
        join(dir, file),
        '--json',
      ]);
      assertCliError(r, 2, 'USAGE');
    }
    assert.deepEqual((await readdir(dir)).sort(), ['empty', 'two']);
  });

  it('usage errors (exit 2): no --out, an unknown --type, --type pgp without --user-id, --user-id for ed25519', async (t) => {
    const dir = await tempDir(t);
    assertCliError(await runCli(['keygen', '--json']), 2, 'USAGE');
    assertCliError(await runCli(['keygen', '--out', join(dir, 'k'), '--type', 'rsa', '--json']), 2, 'USAGE');
    const pgp = await runCli(['keygen', '--out', join(dir, 'k'), '--type', 'pgp', '--json']);
    assertCliError(pgp, 2, 'USAGE');
    assert.match(pgp.json.error.message, /--user-id/);
    assertCliError(
      await runCli(['keygen', '--out', join(dir, 'k'), '--user-id', 'A <a@b>', '--json']),
      2,
      'USAGE',
    );
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('keygen --type pgp', () => {
  it('writes armored PREFIX.pgp.key (0600), .pgp.pub and a revocation certificate; GnuPG imports the key', async (t) => {
    const dir = await tempDir(t);
    const prefix = join(dir, 'ops');
    const r = await runCli([
      'keygen',
      '--type',
      'pgp',
      '--user-id',
      'Ops Team <ops@example.com>',
      '--out',
      prefix,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.json.fingerprint, /^[0-9a-f]{40}$/);
    assert.equal(r.json.private_key, `${prefix}.pgp.key`);
    assert.equal(r.json.public_key, `${prefix}.pgp.pub`);
    assert.equal(r.json.revocation_certificate, `${prefix}.pgp.rev`);
    assert.equal(await mode(`${prefix}.pgp.key`), 0o600);
    assert.equal(await mode(`${prefix}.pgp.rev`), 0o600);
    assert.match(await readFile(`${prefix}.pgp.key`, 'utf8'), /^-----BEGIN PGP PRIVATE KEY BLOCK-----/);
    assert.match(await readFile(`${prefix}.pgp.pub`, 'utf8'), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);

    const home = await gnupgHome(dir);
    const imported = gpg(home, ['--import', `${prefix}.pgp.pub`]);
    assert.equal(imported.status, 0, imported.stderr);
    const listed = gpg(home, ['--with-colons', '--fingerprint', '--list-keys']);
    assert.ok(listed.stdout.toLowerCase().includes(`fpr:::::::::${r.json.fingerprint}:`), listed.stdout);
    assert.match(listed.stdout, /Ops Team <ops@example.com>/);

    // Never overwrites either.
    const again = await runCli([
      'keygen',
      '--type',
      'pgp',
      '--user-id',
      'X <x@y>',
      '--out',
      prefix,
      '--json',
    ]);
    assertCliError(again, 4, 'ALREADY_EXISTS');
  });
});
