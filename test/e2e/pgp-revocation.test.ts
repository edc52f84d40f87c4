/**
 * OpenPGP revocations through the real CLI (SPEC §5): copies of one key from several keyrings and policy entries
 * are merged before judging, whatever the order, and bare revocation certificates (`keygen --type pgp`'s
 * PREFIX.pgp.rev, GnuPG's openpgp-revocs.d) apply to the key they revoke.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { writeTestBundle } from '../fixtures/bundles.js';
import { GnuPG } from '../gpg.js';
import { assertCliError, type RunResult, runCli, tempDir } from '../helpers.js';

/** The codes of the one bundle's result in a `verify --json` run. */
const codes = (r: RunResult): string[] => r.json.results[0].errors.map((e: { code: string }) => e.code);

function assertRevoked(r: RunResult, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code}, stdout ${r.stdout} stderr ${r.stderr}`);
  assert.equal(r.json.ok, false, what);
  assert.deepEqual(codes(r), ['KEY_REVOKED'], what);
}

function assertPasses(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}, stdout ${r.stdout} stderr ${r.stderr}`);
  assert.equal(r.json.ok, true, what);
}

interface Signed {
  readonly dir: string;
  readonly bundle: string;
  readonly pub: string;
  /** The revocation certificate keygen wrote. */
  readonly rev: string;
  /** The public key with its revocation certificate applied: what `gpg --export` gives after the import. */
  readonly revoked: string;
  readonly fingerprint: string;
}

/** A container bundle signed by a fresh `keygen --type pgp` key, and the key's files. */
async function signedBundle(t: Parameters<typeof tempDir>[0]): Promise<Signed> {
  const dir = await tempDir(t);
  const prefix = join(dir, 'ops');
  const k = await runCli([
    'keygen',
    '--type',
    'pgp',
    '--user-id',
    'Ops <ops@example.org>',
    '--out',
    prefix,
    '--json',
  ]);
  assert.equal(k.code, 0, k.stderr);
  const bundle = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container' });
  const s = await runCli(['sign', bundle, '--pgp-key', `${prefix}.pgp.key`, '--json']);
  assert.equal(s.code, 0, s.stderr);
  const pub = `${prefix}.pgp.pub`;
  const rev = `${prefix}.pgp.rev`;
  const key = await openpgp.readKey({ armoredKey: await readFile(pub, 'utf8') });
  const revokedKey = await openpgp.revokeKey({
    key,
    revocationCertificate: await readFile(rev, 'utf8'),
    format: 'armored',
  });
  const revoked = join(dir, 'revoked.asc');
  await writeFile(revoked, revokedKey.publicKey);
  return { dir, bundle, pub, rev, revoked, fingerprint: key.getFingerprint().toLowerCase() };
}

const verify = (bundle: string, ...args: string[]) => runCli(['verify', bundle, ...args, '--json']);
const rings = (...files: string[]) => files.flatMap((f) => ['--pgp-keyring', f]);

describe('OpenPGP revocation across trust sources (SPEC §5)', () => {
  it('a revoked copy in one keyring revokes the key, whatever the order of the keyrings', async (t) => {
    const s = await signedBundle(t);
    assertPasses(await verify(s.bundle, ...rings(s.pub)), 'the clean key alone');
    assertRevoked(await verify(s.bundle, ...rings(s.revoked)), 'the revoked copy alone');
    assertRevoked(await verify(s.bundle, ...rings(s.revoked, s.pub)), 'revoked copy first');
    assertRevoked(await verify(s.bundle, ...rings(s.pub, s.revoked)), 'clean copy first');
    // The result still names the key, with the message saying it is revoked.
    const r = await verify(s.bundle, ...rings(s.pub, s.revoked));
    assert.equal(r.json.results[0].signatures[0].fingerprint, s.fingerprint);
    assert.match(r.json.results[0].errors[0].message, new RegExp(`key ${s.fingerprint} has been revoked`));
  });

  it('keygen --type pgp PREFIX.pgp.rev revokes the key: as a keyring of its own, or in the same file', async (t) => {
    const s = await signedBundle(t);
    assertRevoked(await verify(s.bundle, ...rings(s.pub, s.rev)), 'certificate after the key');
    assertRevoked(await verify(s.bundle, ...rings(s.rev, s.pub)), 'certificate before the key');
    const both = join(s.dir, 'both.asc');
    await writeFile(both, (await readFile(s.rev, 'utf8')) + (await readFile(s.pub, 'utf8')));
    assertRevoked(await verify(s.bundle, ...rings(both)), 'certificate and key in one file');
    // Binary: `gpg --dearmor`-style concatenation of the certificate's and the key's packets.
    const binary = join(s.dir, 'both.gpg');
    const unarmored = async (file: string) =>
      Buffer.from((await openpgp.unarmor(await readFile(file, 'utf8'))).data as Uint8Array);
    await writeFile(binary, Buffer.concat([await unarmored(s.rev), await unarmored(s.pub)]));
    assertRevoked(await verify(s.bundle, ...rings(binary)), 'binary keyring, certificate first');
  });

  it('a keyring holding only a revocation certificate trusts no key', async (t) => {
    const s = await signedBundle(t);
    const r = await verify(s.bundle, ...rings(s.rev));
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(codes(r), ['KEY_UNTRUSTED']);
  });

  it('a revocation certificate of another key is ignored; one that its key does not verify is KEY_INVALID', async (t) => {
    const s = await signedBundle(t);
    const other = await signedBundle(t);
    assertPasses(await verify(s.bundle, ...rings(s.pub, other.rev)), 'a certificate for a key not trusted');

    // A certificate naming our key whose signature does not verify: keygen's certificate with one bit of the
    // signature value flipped (the last byte of the packet belongs to the last MPI), armored again.
    const packet = Buffer.from((await openpgp.unarmor(await readFile(s.rev, 'utf8'))).data as Uint8Array);
    packet[packet.length - 1]! ^= 0x01;
    const bogus = join(s.dir, 'bogus.rev');
    await writeFile(bogus, openpgp.armor(openpgp.enums.armor.publicKey, packet));
    const r = await verify(s.bundle, ...rings(s.pub, bogus));
    assertCliError(r, 3, 'KEY_INVALID');
    assert.match(r.json.error.message, /revocation certificate in .*bogus\.rev.*names key/);
  });

  it('policy pgp_keys entries and keyrings are merged: the policy keeps its rules, the revocation counts', async (t) => {
    const s = await signedBundle(t);
    for (const [policyKey, keyring] of [
      [s.pub, s.revoked],
      [s.revoked, s.pub],
      [s.pub, s.rev],
    ] as const) {
      const policy = join(s.dir, 'policy.json');
      await writeFile(
        policy,
        JSON.stringify({
          schema_version: 1,
          pgp_keys: [{ fingerprint: s.fingerprint, public_key_file: policyKey, name: 'ops' }],
        }),
      );
      const alone = await verify(s.bundle, '--trust-policy', policy);
      if (policyKey === s.pub) assertPasses(alone, 'policy with the clean key alone');
      else assertRevoked(alone, 'policy with the revoked copy alone');
      assertRevoked(
        await verify(s.bundle, '--trust-policy', policy, ...rings(keyring)),
        `policy ${policyKey} with keyring ${keyring}`,
      );
    }
    // A policy entry whose key file holds the certificate next to the key.
    const inline = join(s.dir, 'inline.json');
    await writeFile(
      inline,
      JSON.stringify({
        schema_version: 1,
        pgp_keys: [
          {
            fingerprint: s.fingerprint,
            public_key: (await readFile(s.pub, 'utf8')) + (await readFile(s.rev, 'utf8')),
          },
        ],
      }),
    );
    assertRevoked(await verify(s.bundle, '--trust-policy', inline), 'inline key and certificate');
  });

  it("a revoked copy in another policy entry's key file revokes the key trusted by a keyring", async (t) => {
    const s = await signedBundle(t);
    const other = await signedBundle(t);
    const shared = join(s.dir, 'team.asc');
    await writeFile(shared, (await readFile(other.pub, 'utf8')) + (await readFile(s.revoked, 'utf8')));
    const policy = join(s.dir, 'team.json');
    await writeFile(
      policy,
      JSON.stringify({
        schema_version: 1,
        pgp_keys: [{ fingerprint: other.fingerprint, public_key_file: shared }],
      }),
    );
    assertPasses(await verify(s.bundle, ...rings(s.pub)), 'the keyring alone');
    assertRevoked(
      await verify(s.bundle, '--trust-policy', policy, ...rings(s.pub)),
      'policy file holding a revoked copy of the keyring key',
    );
    // The entry's own key is not affected.
    assertPasses(await verify(other.bundle, '--trust-policy', policy, ...rings(s.pub)), 'the other key');
  });
});

describe('OpenPGP revocation made by GnuPG (SPEC §5)', () => {
  let gpg: GnuPG;
  before(async () => {
    gpg = await GnuPG.create();
  });
  after(() => gpg.close());

  it('the revocation certificate gpg keeps in openpgp-revocs.d revokes its key as a keyring', async (t) => {
    const dir = await tempDir(t);
    const fpr = await gpg.genKey('Ops <ops@example.org>');
    const key = join(dir, 'ops.pgp.key');
    await writeFile(key, await gpg.exportSecret(fpr));
    const pub = join(dir, 'ops.asc');
    await writeFile(pub, await gpg.exportPublic(fpr));
    const rev = join(dir, 'ops.rev');
    // The file as gpg wrote it, explanation text included (only the ':' guard before BEGIN is removed).
    await writeFile(rev, await gpg.revocationCertificate(fpr));
    const bundle = await writeTestBundle(join(dir, 'c.aurion'), { runtime: 'container' });
    const s = await runCli(['sign', bundle, '--pgp-key', key, '--json']);
    assert.equal(s.code, 0, s.stderr);
    assertPasses(await verify(bundle, ...rings(pub)), 'before the revocation');
    assertRevoked(await verify(bundle, ...rings(pub, rev)), 'gpg certificate after the key');
    assertRevoked(await verify(bundle, ...rings(rev, pub)), 'gpg certificate before the key');
  });
});
