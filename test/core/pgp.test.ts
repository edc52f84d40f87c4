import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import {
  CLOCK_SKEW_MS,
  generatePgpKeyPair,
  loadPgpKeyring,
  loadPgpPrivateKey,
  loadPgpPublicKeys,
  mergePgpKeys,
  type PgpPublicKey,
  type PgpVerification,
  signDetached,
  verifyDetached,
} from '../../src/core/pgp.js';
import { GnuPG } from '../gpg.js';
import { expectAurionError, ROOT } from '../helpers.js';

const DATA = new TextEncoder().encode('{"schema_version":1,"name":"dns-enum","version":"1.2.0"}\n');
const OTHER = new TextEncoder().encode('{"schema_version":1,"name":"dns-enum","version":"1.2.1"}\n');
const enc = (s: string) => new TextEncoder().encode(s);
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
/** Fixed past times for faked-clock scenarios. */
const T0 = new Date('2020-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function assertOk(r: PgpVerification, fingerprint: string): void {
  assert.ok(r.ok, `expected a pass, got ${r.ok ? '' : `${r.code}: ${r.message}`}`);
  assert.equal(r.fingerprint, fingerprint);
}

function assertFail(r: PgpVerification, code: string, message: RegExp, fingerprint?: string): void {
  assert.equal(r.ok, false, 'expected a failure, got a pass');
  if (r.ok) return;
  assert.equal(r.code, code, r.message);
  assert.match(r.message, message);
  if (fingerprint !== undefined) assert.equal(r.fingerprint, fingerprint);
}

/** Several detached signatures in one armored block (what `gpg --detach-sign -u A -u B` writes). */
async function combine(...armored: string[]): Promise<string> {
  const list = new openpgp.PacketList<openpgp.SignaturePacket>();
  for (const a of armored) list.push(...(await openpgp.readSignature({ armoredSignature: a })).packets);
  return new openpgp.Signature(list).armor();
}

/**
 * A detached signature made packet by packet with `key`'s primary key, bypassing openpgp.js's own choice of
 * signing key: how a careless or hostile signer could make one.
 */
async function rawSignature(
  key: openpgp.PrivateKey,
  data: Uint8Array | { key: openpgp.AnyKeyPacket },
  options: { type?: openpgp.enums.signature; date?: Date } = {},
): Promise<string> {
  const signed =
    data instanceof Uint8Array ? (await openpgp.createMessage({ binary: data })).packets[0]! : data;
  const packet = new openpgp.SignaturePacket();
  packet.signatureType = options.type ?? openpgp.enums.signature.binary;
  packet.hashAlgorithm = openpgp.enums.hash.sha256;
  packet.publicKeyAlgorithm = key.keyPacket.algorithm;
  // The typings omit sign()'s real parameters (a literal data packet, and the config it reads).
  const sign = packet.sign as unknown as (...args: unknown[]) => Promise<void>;
  await sign.call(packet, key.keyPacket, signed, options.date ?? new Date(), true, openpgp.config);
  const list = new openpgp.PacketList<openpgp.SignaturePacket>();
  list.push(packet);
  return new openpgp.Signature(list).armor();
}

describe('generatePgpKeyPair', () => {
  let gpg: GnuPG;
  before(async () => {
    gpg = await GnuPG.create();
  });
  after(() => gpg.close());

  it('makes a v4 Ed25519 key (EdDSA legacy), signing-capable, user ID kept exactly', async () => {
    const pair = await generatePgpKeyPair('Example Signer (ci) <signer@example.org>');
    assert.match(pair.fingerprint, /^[0-9a-f]{40}$/);
    const pub = await openpgp.readKey({ armoredKey: pair.publicArmored });
    assert.equal(pub.isPrivate(), false);
    assert.equal(pub.keyPacket.version, 4);
    assert.deepEqual(pub.getAlgorithmInfo(), { algorithm: 'eddsaLegacy', curve: 'ed25519Legacy' });
    assert.equal(pub.getFingerprint(), pair.fingerprint);
    assert.deepEqual(pub.getUserIDs(), ['Example Signer (ci) <signer@example.org>']);
    assert.equal(pub.subkeys.length, 0);
    assert.equal(await pub.getExpirationTime(), Infinity);
    const priv = await openpgp.readPrivateKey({ armoredKey: pair.privateArmored });
    assert.equal(priv.isDecrypted(), true, 'no passphrase: unprotected');
    assert.match(pair.revocationCertificate, /BEGIN PGP PUBLIC KEY BLOCK/);
  });

  it('protects the private key with the passphrase (iterated S2K, no AEAD: GnuPG 2.2 reads it)', async () => {
    const pair = await generatePgpKeyPair('P <p@example.org>', 'correct horse');
    const priv = await openpgp.readPrivateKey({ armoredKey: pair.privateArmored });
    assert.equal(priv.isDecrypted(), false);
    const secret = priv.keyPacket as openpgp.SecretKeyPacket & { s2k: { type: string }; s2kUsage: number };
    assert.equal(secret.s2k.type, 'iterated');
    assert.equal(secret.s2kUsage, 254, 'CFB with SHA-1 checksum, not AEAD (253)');
    // GnuPG imports it, decrypts it with the passphrase and signs; we verify that signature.
    await gpg.import(pair.privateArmored, 'correct horse');
    const sig = await gpg.detachSign(pair.fingerprint, DATA, [], { passphrase: 'correct horse' });
    const trusted = await loadPgpPublicKeys(pair.publicArmored, 'p.pgp.pub');
    assertOk(await verifyDetached(DATA, enc(sig), trusted, new Date()), pair.fingerprint);
  });

  it('GnuPG imports the public key and verifies our signature (files, as after tar -xzf)', async () => {
    const pair = await generatePgpKeyPair('Signer <signer@example.org>', 'pw');
    const verifier = await GnuPG.create();
    try {
      await verifier.import(pair.publicArmored);
      assert.deepEqual(await verifier.fingerprints('Signer <signer@example.org>'), [pair.fingerprint]);
      const key = await loadPgpPrivateKey(pair.privateArmored, 'pw', 'signer.pgp.key');
      const sig = await signDetached(key, DATA);
      const ok = await verifier.verifyFiles(sig, DATA);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.status, new RegExp(`VALIDSIG ${pair.fingerprint.toUpperCase()} `));
      // What GnuPG sees: a v4 binary-mode signature (class 0x00) with SHA-512.
      const packets = (await verifier.ok(['--list-packets'], { input: sig })).toString('utf8');
      assert.match(packets, /version 4, created \d+, md5len 0, sigclass 0x00/);
      assert.match(packets, /digest algo 10,/);
      const bad = await verifier.verifyFiles(sig, OTHER);
      assert.equal(bad.code, 1, 'gpg rejects the signature over other bytes');
      assert.match(bad.status, /BADSIG/);
    } finally {
      await verifier.close();
    }
  });

  it('sets an expiry when asked', async () => {
    const pair = await generatePgpKeyPair('E <e@example.org>', undefined, {
      now: T0,
      expiresInSeconds: 86400,
    });
    const pub = await openpgp.readKey({ armoredKey: pair.publicArmored });
    assert.deepEqual(pub.getCreationTime(), T0);
    assert.deepEqual(await pub.getExpirationTime(), at(DAY));
  });

  const badUserIds: Array<[string, RegExp]> = [
    ['', /empty/],
    ['  ', /empty/],
    [' Name <a@example.org>', /white space/],
    ['Name\n<a@example.org>', /control character/],
    ['Name <a@example.org', /expected "Name <email>"/],
    ['Name <a@example.org> trailing', /expected "Name <email>"/],
    ['Name  <a@example.org>', /would be stored as "Name <a@example.org>"/],
    ['Name <not an email>', /Invalid user ID format/],
    ['x'.repeat(1025), /longer than 1024/],
  ];
  for (const [userId, message] of badUserIds) {
    it(`refuses the user ID ${JSON.stringify(userId.slice(0, 40))} with USAGE`, async () => {
      const e = await expectAurionError(() => generatePgpKeyPair(userId), 'USAGE');
      assert.match(e.message, message);
    });
  }

  it('accepts the common user ID forms', async () => {
    for (const userId of ['Name', '<a@example.org>', 'Name <a@example.org>', 'a@example.org']) {
      const pair = await generatePgpKeyPair(userId);
      assert.deepEqual((await loadPgpPublicKeys(pair.publicArmored, 'k'))[0]!.userIds, [userId]);
    }
  });

  it('refuses an empty passphrase and a bad lifetime with USAGE', async () => {
    await expectAurionError(() => generatePgpKeyPair('N <n@example.org>', ''), 'USAGE');
    await expectAurionError(
      () => generatePgpKeyPair('N <n@example.org>', undefined, { expiresInSeconds: -1 }),
      'USAGE',
    );
    await expectAurionError(
      () => generatePgpKeyPair('N <n@example.org>', undefined, { expiresInSeconds: 1.5 }),
      'USAGE',
    );
  });
});

describe('loadPgpPublicKeys', () => {
  let gpg: GnuPG;
  let a: string;
  let b: string;
  before(async () => {
    gpg = await GnuPG.create();
    a = await gpg.genKey('A <a@example.org>');
    b = await gpg.genKey('B <b@example.org>');
  });
  after(() => gpg.close());

  it('reads a keyring export with several keys (armored and binary)', async () => {
    for (const input of [await gpg.exportPublic(a, b), await gpg.exportPublicBinary(a, b)]) {
      const keys = await loadPgpPublicKeys(input, 'ring');
      assert.deepEqual(keys.map((k) => k.fingerprint).sort(), [a, b].sort());
      for (const k of keys) {
        assert.equal(k.version, 4);
        assert.equal(k.keyId, k.fingerprint.slice(24));
        assert.match(k.armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
        assert.doesNotMatch(k.armored, /PRIVATE/);
      }
    }
  });

  it('reads armored exports one after the other, and text around them', async () => {
    const text = `keys of the release team\n${await gpg.exportPublic(a)}\n\n${await gpg.exportPublic(b)}`;
    const keys = await loadPgpPublicKeys(enc(text), 'ring.asc');
    assert.deepEqual(
      keys.map((k) => k.fingerprint),
      [a, b],
    );
  });

  it('reads armored text that starts with a UTF-8 byte order mark', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(await gpg.exportPublic(a))]);
    assert.deepEqual(
      (await loadPgpPublicKeys(bytes, 'bom.asc')).map((k) => k.fingerprint),
      [a],
    );
  });

  it('merges copies of one key', async () => {
    const one = await gpg.exportPublic(a);
    const keys = await loadPgpPublicKeys(one + one, 'ring.asc');
    assert.deepEqual(
      keys.map((k) => k.fingerprint),
      [a],
    );
  });

  const refused: Array<[string, () => Promise<string | Uint8Array>, RegExp]> = [
    ['garbage', async () => 'not a key', /no armored OpenPGP public key/],
    ['an empty file', async () => '', /no armored OpenPGP public key/],
    ['an empty binary file', async () => new Uint8Array(), /no armored OpenPGP public key/],
    ['bytes that are neither UTF-8 nor OpenPGP', async () => new Uint8Array([0x41, 0xff, 0xfe]), /neither/],
    ['an armored private key', () => gpg.exportSecret(a), /private key material/],
    ['a binary private key', async () => gpg.ok(['--export-secret-keys', a]), /private key material/],
    [
      'a keyring with a private key after a public key',
      async () => (await gpg.exportPublic(b)) + (await gpg.exportSecret(a)),
      /private key material/,
    ],
    ['a signature', () => gpg.detachSign(a, DATA), /PGP SIGNATURE, not a public key/],
    [
      'a damaged armor (checksum)',
      async () =>
        (await gpg.exportPublic(a)).replace(
          /\n([A-Za-z0-9+/])/,
          (_, c: string) => `\n${c === 'm' ? 'n' : 'm'}`,
        ),
      /does not parse/,
    ],
    [
      'an armor without key packets',
      async () => openpgp.armor(openpgp.enums.armor.publicKey, new Uint8Array()),
      /holds no key|does not parse/,
    ],
  ];
  for (const [what, input, message] of refused) {
    it(`refuses ${what} with KEY_INVALID`, async () => {
      const e = await expectAurionError(
        async () => loadPgpPublicKeys(await input(), 'keys/ops.asc'),
        'KEY_INVALID',
      );
      assert.match(e.message, /keys\/ops\.asc/);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message + (e.hint ?? ''), /BEGIN PGP PRIVATE/);
    });
  }
});

describe('loadPgpKeyring: bare revocation certificates', () => {
  let pair: Awaited<ReturnType<typeof generatePgpKeyPair>>;
  let sig: Uint8Array;
  before(async () => {
    pair = await generatePgpKeyPair('R <r@example.org>');
    const key = await loadPgpPrivateKey(pair.privateArmored, undefined, 'r.pgp.key');
    sig = enc(await signDetached(key, DATA));
  });

  it('reads a file holding only a revocation certificate: no key, one revocation naming the key', async () => {
    const ring = await loadPgpKeyring(pair.revocationCertificate, 'r.pgp.rev');
    assert.equal(ring.keys.length, 0);
    assert.deepEqual(
      ring.revocations.map((r) => [r.issuer, r.source]),
      [[pair.fingerprint, 'r.pgp.rev']],
    );
    // loadPgpPublicKeys wants keys.
    const e = await expectAurionError(
      () => loadPgpPublicKeys(pair.revocationCertificate, 'r.pgp.rev'),
      'KEY_INVALID',
    );
    assert.match(e.message, /r\.pgp\.rev: it holds no key/);
  });

  it('applies a certificate to the key in the same file or given later, in either order', async () => {
    for (const text of [
      pair.publicArmored + pair.revocationCertificate,
      pair.revocationCertificate + pair.publicArmored,
    ]) {
      const ring = await loadPgpKeyring(text, 'ring.asc');
      assert.equal(ring.keys.length, 1);
      assertFail(await verifyDetached(DATA, sig, ring.keys, new Date()), 'KEY_REVOKED', /revoked/);
    }
    const clean = await loadPgpPublicKeys(pair.publicArmored, 'r.pgp.pub');
    assertOk(await verifyDetached(DATA, sig, clean, new Date()), pair.fingerprint);
    const { revocations } = await loadPgpKeyring(pair.revocationCertificate, 'r.pgp.rev');
    const merged = await mergePgpKeys(clean, revocations);
    assertFail(await verifyDetached(DATA, sig, merged, new Date()), 'KEY_REVOKED', /revoked/);
    // Applying it again adds nothing.
    const twice = await mergePgpKeys(merged, revocations);
    assert.equal(twice[0]!.key.revocationSignatures.length, 1);
  });

  it('refuses a signature outside any key that is not a key revocation', async () => {
    const data = (await openpgp.unarmor(new TextDecoder().decode(sig))).data as Uint8Array;
    const text = openpgp.armor(openpgp.enums.armor.publicKey, data) + pair.publicArmored;
    const e = await expectAurionError(() => loadPgpKeyring(text, 'ring.asc'), 'KEY_INVALID');
    assert.match(e.message, /signature of type 0x00 outside any key/);
  });
});

describe('loadPgpPrivateKey', () => {
  let protectedPair: Awaited<ReturnType<typeof generatePgpKeyPair>>;
  before(async () => {
    protectedPair = await generatePgpKeyPair('K <k@example.org>', 's3cret');
  });

  it('decrypts with the passphrase; the key knows its fingerprint and public half', async () => {
    const key = await loadPgpPrivateKey(protectedPair.privateArmored, 's3cret', 'k.pgp.key');
    assert.equal(key.fingerprint, protectedPair.fingerprint);
    assert.equal(key.publicKey.fingerprint, protectedPair.fingerprint);
    assert.equal(key.key.isDecrypted(), true);
    assert.deepEqual(key.userIds, ['K <k@example.org>']);
  });

  it('ignores a passphrase given for an unprotected key', async () => {
    const pair = await generatePgpKeyPair('U <u@example.org>');
    const key = await loadPgpPrivateKey(enc(pair.privateArmored), 'unused', 'u.pgp.key');
    assert.equal(key.fingerprint, pair.fingerprint);
  });

  const refused: Array<[string, () => Promise<[string | Uint8Array, string | undefined]>, RegExp]> = [
    [
      'a missing passphrase',
      async () => [protectedPair.privateArmored, undefined],
      /protected by a passphrase and none was given/,
    ],
    ['a wrong passphrase', async () => [protectedPair.privateArmored, 'wrong'], /wrong passphrase/],
    ['an empty passphrase', async () => [protectedPair.privateArmored, ''], /wrong passphrase/],
    [
      'a public key',
      async () => [protectedPair.publicArmored, 's3cret'],
      /is a public key, not a private key/,
    ],
    ['garbage', async () => ['garbage', undefined], /no armored OpenPGP private key/],
    ['bytes that are not UTF-8', async () => [new Uint8Array([0xc3, 0x28]), undefined], /not UTF-8/],
    [
      'a signature',
      async () => [
        (await generatePgpKeyPair('S <s@example.org>')).revocationCertificate.replace(
          /PUBLIC KEY BLOCK/g,
          'SIGNATURE',
        ),
        undefined,
      ],
      /PGP SIGNATURE, not a private key/,
    ],
    [
      'two private keys',
      async () => {
        const [x, y] = [
          await generatePgpKeyPair('X <x@example.org>'),
          await generatePgpKeyPair('Y <y@example.org>'),
        ];
        const list = new openpgp.PacketList();
        for (const k of [x, y])
          list.push(...(await openpgp.readPrivateKey({ armoredKey: k.privateArmored })).toPacketList());
        return [openpgp.armor(openpgp.enums.armor.privateKey, list.write()), undefined];
      },
      /holds 2 private keys/,
    ],
    [
      'two armored blocks',
      async () => [protectedPair.privateArmored + protectedPair.privateArmored, 's3cret'],
      /more than one armored block/,
    ],
    [
      'a damaged armor',
      async () => [
        protectedPair.privateArmored.replace(
          /\n([A-Za-z0-9+/])/,
          (_, c: string) => `\n${c === 'A' ? 'B' : 'A'}`,
        ),
        's3cret',
      ],
      /does not parse/,
    ],
    [
      'a key that has expired',
      async () => [
        (await generatePgpKeyPair('O <o@example.org>', undefined, { now: T0, expiresInSeconds: 60 }))
          .privateArmored,
        undefined,
      ],
      /cannot sign: .*expired/,
    ],
  ];
  for (const [what, input, message] of refused) {
    it(`refuses ${what} with KEY_INVALID`, async () => {
      const [armored, passphrase] = await input();
      const e = await expectAurionError(
        () => loadPgpPrivateKey(armored, passphrase, 'keys/k.pgp.key'),
        'KEY_INVALID',
      );
      assert.match(e.message, /keys\/k\.pgp\.key/);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /s3cret/);
    });
  }

  it('refuses a revoked key with KEY_INVALID', async () => {
    const pair = await generatePgpKeyPair('R <r@example.org>');
    const priv = await openpgp.readPrivateKey({ armoredKey: pair.privateArmored });
    const revoked = await openpgp.revokeKey({ key: priv, format: 'armored' });
    const e = await expectAurionError(
      () => loadPgpPrivateKey(revoked.privateKey, undefined, 'r.pgp.key'),
      'KEY_INVALID',
    );
    assert.match(e.message, /cannot sign: .*revoked/);
  });

  it('reads a key exported by GnuPG and signs with it; GnuPG verifies', async () => {
    const gpg = await GnuPG.create();
    try {
      const fpr = await gpg.genKey('G <g@example.org>');
      await gpg.ok(['--quick-add-key', fpr, 'ed25519', 'sign', 'never']);
      const [, subkey] = await gpg.fingerprints('G <g@example.org>');
      const key = await loadPgpPrivateKey(await gpg.exportSecret(fpr), undefined, 'g.asc');
      assert.equal(key.fingerprint, fpr);
      const sig = await signDetached(key, DATA);
      const r = await gpg.verifyFiles(sig, DATA);
      assert.equal(r.code, 0, r.stderr);
      // openpgp.js signs with the newest signing subkey; GnuPG names the primary key as well.
      assert.match(r.status, new RegExp(`VALIDSIG ${subkey!.toUpperCase()} .* ${fpr.toUpperCase()}\\n`));
      const trusted = await loadPgpPublicKeys(await gpg.exportPublic(fpr), 'g.pub');
      const v = await verifyDetached(DATA, enc(sig), trusted, new Date());
      assertOk(v, fpr);
      assert.equal(v.ok && v.signingKeyFingerprint, subkey);
    } finally {
      await gpg.close();
    }
  });
});

describe('signDetached', () => {
  it('signs exactly the bytes given, binary mode, v4, SHA-512, issuer fingerprint included', async () => {
    const pair = await generatePgpKeyPair('S <s@example.org>');
    const key = await loadPgpPrivateKey(pair.privateArmored, undefined, 's.pgp.key');
    const now = new Date('2030-06-01T12:00:00Z');
    const armored = await signDetached(key, DATA, now);
    assert.match(armored, /^-----BEGIN PGP SIGNATURE-----\n/);
    const sig = await openpgp.readSignature({ armoredSignature: armored });
    assert.equal(sig.packets.length, 1);
    const packet = sig.packets[0]!;
    assert.equal(packet.version, 4);
    assert.equal(packet.signatureType, openpgp.enums.signature.binary);
    assert.equal(packet.hashAlgorithm, openpgp.enums.hash.sha512);
    assert.deepEqual(packet.created, now);
    assert.equal(Buffer.from(packet.issuerFingerprint!).toString('hex'), pair.fingerprint);
    const trusted = await loadPgpPublicKeys(pair.publicArmored, 's.pgp.pub');
    assertOk(await verifyDetached(DATA, enc(armored), trusted, now), pair.fingerprint);
    assertFail(
      await verifyDetached(OTHER, enc(armored), trusted, now),
      'SIGNATURE_INVALID',
      /does not verify/,
    );
  });

  it('signs binary data with CR, LF and trailing spaces unchanged (no text canonicalisation)', async () => {
    const pair = await generatePgpKeyPair('S <s@example.org>');
    const key = await loadPgpPrivateKey(pair.privateArmored, undefined, 's.pgp.key');
    const trusted = await loadPgpPublicKeys(pair.publicArmored, 's.pgp.pub');
    const data = new Uint8Array([0x61, 0x20, 0x0d, 0x0a, 0x62, 0x20, 0x20, 0x0a, 0x00, 0xff]);
    const sig = enc(await signDetached(key, data));
    assertOk(await verifyDetached(data, sig, trusted, new Date()), pair.fingerprint);
    const canonical = new Uint8Array([0x61, 0x0d, 0x0a, 0x62, 0x0d, 0x0a, 0x00, 0xff]);
    assertFail(
      await verifyDetached(canonical, sig, trusted, new Date()),
      'SIGNATURE_INVALID',
      /does not verify/,
    );
  });
});

describe('verifyDetached', () => {
  let gpg: GnuPG;
  let alice: string;
  let mallory: string;
  let trusted: PgpPublicKey[];
  before(async () => {
    gpg = await GnuPG.create();
    alice = await gpg.genKey('Alice <alice@example.org>');
    mallory = await gpg.genKey('Mallory <mallory@example.org>');
    trusted = await loadPgpPublicKeys(await gpg.exportPublic(alice), 'alice.asc');
  });
  after(() => gpg.close());

  it('accepts gpg --detach-sign --armor (binary mode; default digest and SHA-256)', async () => {
    for (const extra of [[], ['--digest-algo', 'SHA256'], ['--digest-algo', 'SHA384']]) {
      const sig = await gpg.detachSign(alice, DATA, extra);
      const r = await verifyDetached(DATA, enc(sig), trusted, new Date());
      assertOk(r, alice);
      assert.equal(r.ok && r.signingKeyFingerprint, alice);
    }
  });

  it('accepts CRLF line endings in the armor', async () => {
    const sig = (await gpg.detachSign(alice, DATA)).replace(/\n/g, '\r\n');
    assertOk(await verifyDetached(DATA, enc(sig), trusted, new Date()), alice);
  });

  it('refuses a signature over other bytes (SIGNATURE_INVALID)', async () => {
    const sig = await gpg.detachSign(alice, OTHER);
    assertFail(
      await verifyDetached(DATA, enc(sig), trusted, new Date()),
      'SIGNATURE_INVALID',
      /does not verify over the data/,
      alice,
    );
  });

  it('refuses a text-mode signature (gpg --textmode, type 0x01)', async () => {
    const sig = await gpg.detachSign(alice, DATA, ['--textmode']);
    assert.match((await gpg.ok(['--list-packets'], { input: sig })).toString(), /sigclass 0x01/);
    assertFail(
      await verifyDetached(DATA, enc(sig), trusted, new Date()),
      'SIGNATURE_INVALID',
      /text-mode signature \(type 0x01\)/,
    );
  });

  it('refuses gpg --clearsign output, and the signature block taken out of it', async () => {
    const clear = (await gpg.ok(['--clearsign', '--local-user', alice], { input: DATA })).toString('utf8');
    assertFail(
      await verifyDetached(DATA, enc(clear), trusted, new Date()),
      'SIGNATURE_INVALID',
      /cleartext-signed message/,
    );
    const block = clear.slice(clear.indexOf('-----BEGIN PGP SIGNATURE-----'));
    assertFail(await verifyDetached(DATA, enc(block), trusted, new Date()), 'SIGNATURE_INVALID', /text-mode/);
  });

  it('refuses SHA-1 (gpg --digest-algo SHA1)', async () => {
    const sig = await gpg.detachSign(alice, DATA, ['--digest-algo', 'SHA1']);
    assert.match((await gpg.ok(['--list-packets'], { input: sig })).toString(), /digest algo 2,/);
    assertFail(
      await verifyDetached(DATA, enc(sig), trusted, new Date()),
      'SIGNATURE_INVALID',
      /SHA-1; SHA-256 or stronger/,
    );
  });

  it('refuses SHA-224, RIPEMD-160 and MD5 (gpg --digest-algo)', async () => {
    for (const [algo, name, id] of [
      ['SHA224', 'SHA-224', 11],
      ['RIPEMD160', 'RIPEMD-160', 3],
      ['MD5', 'MD5', 1],
    ] as const) {
      const sig = await gpg.detachSign(alice, DATA, ['--digest-algo', algo]);
      assert.match(
        (await gpg.ok(['--list-packets'], { input: sig })).toString(),
        new RegExp(`digest algo ${id},`),
      );
      assertFail(
        await verifyDetached(DATA, enc(sig), trusted, new Date()),
        'SIGNATURE_INVALID',
        new RegExp(`uses ${name};`),
      );
    }
  });

  it('refuses a signature by a key that is not trusted (KEY_UNTRUSTED, with its fingerprint)', async () => {
    const sig = await gpg.detachSign(mallory, DATA);
    assertFail(
      await verifyDetached(DATA, enc(sig), trusted, new Date()),
      'KEY_UNTRUSTED',
      new RegExp(`signed by key ${mallory}`),
      mallory,
    );
  });

  it('refuses everything when nothing is trusted', async () => {
    const sig = await gpg.detachSign(alice, DATA);
    assertFail(
      await verifyDetached(DATA, enc(sig), [], new Date()),
      'KEY_UNTRUSTED',
      /no OpenPGP key is trusted/,
      alice,
    );
  });

  it('refuses blocks that hold no signature, and data that is not a signature', async () => {
    const cases: Array<[string | Uint8Array, RegExp]> = [
      [await gpg.exportPublic(alice), /PGP PUBLIC KEY BLOCK, not a PGP SIGNATURE/],
      ['', /no ASCII-armored OpenPGP signature/],
      ['garbage', /no ASCII-armored OpenPGP signature/],
      [new Uint8Array([0xc2, 0x01, 0x02]), /not UTF-8/],
      [await gpg.ok(['--detach-sign', '--local-user', alice], { input: DATA }), /not UTF-8|no ASCII-armored/],
      [openpgp.armor(openpgp.enums.armor.signature, new Uint8Array()), /does not parse/],
      // A marker packet only; a v5 signature packet this verifier does not read.
      [
        openpgp.armor(openpgp.enums.armor.signature, Uint8Array.of(0xca, 0x03, 0x50, 0x47, 0x50)),
        /no signature packet/,
      ],
      [
        openpgp.armor(openpgp.enums.armor.signature, Uint8Array.of(0xc2, 0x03, 0x05, 0x00, 0x00)),
        /no signature packet/,
      ],
      [
        openpgp.armor(
          openpgp.enums.armor.signature,
          (await openpgp.readKey({ armoredKey: await gpg.exportPublic(alice) })).write(),
        ),
        /does not parse: Packet not allowed/,
      ],
      [
        (await gpg.detachSign(alice, DATA)).replace(
          /\n([A-Za-z0-9+/])/,
          (_, c: string) => `\n${c === 'w' ? 'x' : 'w'}`,
        ),
        /does not parse/,
      ],
      [(await gpg.detachSign(alice, DATA)) + (await gpg.detachSign(alice, DATA)), /found 2 armored blocks/],
    ];
    for (const [input, message] of cases) {
      assertFail(
        await verifyDetached(DATA, typeof input === 'string' ? enc(input) : input, trusted, new Date()),
        'SIGNATURE_INVALID',
        message,
      );
    }
  });

  it('never passes when the data or a signed part of the signature is altered', async () => {
    const sig = await gpg.detachSign(alice, DATA);
    for (let i = 0; i < DATA.length; i += 3) {
      const data = Uint8Array.from(DATA);
      data[i] = data[i]! ^ 0x01;
      assert.equal((await verifyDetached(data, enc(sig), trusted, new Date())).ok, false, `data byte ${i}`);
    }
    const bytes = (await openpgp.readSignature({ armoredSignature: sig })).write() as Uint8Array;
    // Packet layout (v4, one-byte length): tag, length, version, type, algorithms (2), hashed area (2 + n),
    // unhashed area (2 + m), digest prefix, signature. Only the unhashed area is outside the signature (it holds
    // hints such as the issuer key ID), so changing it may leave the signature valid, as in any OpenPGP tool.
    assert.ok(bytes[1]! < 192);
    const hashedLength = (bytes[6]! << 8) | bytes[7]!;
    const unhashedStart = 8 + hashedLength + 2;
    const unhashedEnd = unhashedStart + ((bytes[unhashedStart - 2]! << 8) | bytes[unhashedStart - 1]!);
    let refused = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (i >= unhashedStart && i < unhashedEnd) continue;
      const altered = Uint8Array.from(bytes);
      altered[i] = altered[i]! ^ 0x40;
      const armored = openpgp.armor(openpgp.enums.armor.signature, altered);
      const r = await verifyDetached(DATA, enc(armored), trusted, new Date());
      assert.equal(r.ok, false, `signature byte ${i} altered, still passes`);
      refused++;
    }
    assert.ok(refused > 100, `only ${refused} bytes checked`);
  });

  it('passes when one of several signatures passes; else reports the most telling failure', async () => {
    const good = await gpg.detachSign(alice, DATA);
    const untrusted = await gpg.detachSign(mallory, DATA);
    const textMode = await gpg.detachSign(alice, DATA, ['--textmode']);
    const otherBytes = await gpg.detachSign(alice, OTHER);
    assertOk(await verifyDetached(DATA, enc(await combine(untrusted, good)), trusted, new Date()), alice);
    assertOk(await verifyDetached(DATA, enc(await combine(textMode, good)), trusted, new Date()), alice);
    const both = await verifyDetached(DATA, enc(await combine(textMode, untrusted)), trusted, new Date());
    assertFail(both, 'KEY_UNTRUSTED', /^signature 2 of 2: signed by key/);
    const bad = await verifyDetached(DATA, enc(await combine(untrusted, otherBytes)), trusted, new Date());
    assertFail(bad, 'SIGNATURE_INVALID', /^signature 2 of 2: the signature by key .* does not verify/);
  });

  it('accepts a signature by a signing subkey of a trusted key', async () => {
    const fpr = await gpg.genKey('Sub <sub@example.org>', { usage: 'cert' });
    await gpg.ok(['--quick-add-key', fpr, 'ed25519', 'sign', 'never']);
    const [, subkey] = await gpg.fingerprints('Sub <sub@example.org>');
    const sig = await gpg.detachSign(fpr, DATA);
    const keys = await loadPgpPublicKeys(await gpg.exportPublic(fpr), 'sub.asc');
    assert.deepEqual(keys[0]!.subkeyFingerprints, [subkey]);
    const r = await verifyDetached(DATA, enc(sig), keys, new Date());
    assertOk(r, fpr);
    assert.equal(r.ok && r.signingKeyFingerprint, subkey);
  });

  it('refuses a signature by a primary key that may only certify (key flags)', async () => {
    const fpr = await gpg.genKey('CertOnly <certonly@example.org>', { usage: 'cert' });
    await gpg.ok(['--quick-add-key', fpr, 'ed25519', 'sign', 'never']);
    const priv = await openpgp.readPrivateKey({ armoredKey: await gpg.exportSecret(fpr) });
    const keys = await loadPgpPublicKeys(priv.toPublic().armor(), 'certonly.asc');
    const sig = await rawSignature(priv, DATA);
    assertFail(
      await verifyDetached(DATA, enc(sig), keys, new Date()),
      'SIGNATURE_INVALID',
      new RegExp(`key ${fpr} was not valid for signing data`),
      fpr,
    );
  });

  it('refuses signature types other than binary mode (standalone 0x02, key revocation 0x20)', async () => {
    const priv = await openpgp.readPrivateKey({ armoredKey: await gpg.exportSecret(alice) });
    for (const [type, hex, signed] of [
      [openpgp.enums.signature.standalone, '0x02', DATA],
      [openpgp.enums.signature.keyRevocation, '0x20', { key: priv.keyPacket }],
    ] as const) {
      const sig = await rawSignature(priv, signed, { type });
      assertFail(
        await verifyDetached(DATA, enc(sig), trusted, new Date()),
        'SIGNATURE_INVALID',
        new RegExp(`signature type ${hex} is not a signature over data`),
      );
    }
    // The helper makes valid binary-mode signatures when asked to.
    assertOk(await verifyDetached(DATA, enc(await rawSignature(priv, DATA)), trusted, new Date()), alice);
  });

  it('verifies signatures by v6 keys too (64-hex fingerprints, as a trust policy may name them)', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({
      type: 'curve25519',
      userIDs: [{ name: 'Six', email: 'six@example.org' }],
      format: 'object',
      config: { v6Keys: true },
    });
    const message = await openpgp.createMessage({ binary: DATA });
    const sig = await openpgp.sign({ message, signingKeys: privateKey, detached: true, format: 'armored' });
    const keys = await loadPgpPublicKeys(publicKey.armor(), 'six.asc');
    assert.equal(keys[0]!.version, 6);
    assert.match(keys[0]!.fingerprint, /^[0-9a-f]{64}$/);
    assertOk(await verifyDetached(DATA, enc(sig), keys, new Date()), keys[0]!.fingerprint);
    assertFail(
      await verifyDetached(OTHER, enc(sig), keys, new Date()),
      'SIGNATURE_INVALID',
      /does not verify/,
    );
  });

  it('refuses a signature from the future (beyond the clock-skew allowance)', async () => {
    const now = new Date();
    const far = await gpg.detachSign(alice, DATA, [], { time: new Date(now.getTime() + HOUR) });
    assertFail(await verifyDetached(DATA, enc(far), trusted, now), 'SIGNATURE_INVALID', /made in the future/);
    const near = await gpg.detachSign(alice, DATA, [], { time: new Date(now.getTime() + CLOCK_SKEW_MS / 2) });
    assertOk(await verifyDetached(DATA, enc(near), trusted, now), alice);
  });

  it('refuses an expired signature (gpg --default-sig-expire)', async () => {
    const fpr = await gpg.genKey('Old <old@example.org>', { time: T0 });
    const keys = await loadPgpPublicKeys(await gpg.exportPublic(fpr), 'old.asc');
    const sig = await gpg.detachSign(fpr, DATA, ['--default-sig-expire', '1d'], { time: at(HOUR) });
    assertOk(await verifyDetached(DATA, enc(sig), keys, at(2 * HOUR)), fpr);
    assertFail(await verifyDetached(DATA, enc(sig), keys, at(2 * DAY)), 'SIGNATURE_INVALID', /expired/);
  });
});

describe('verifyDetached: revoked and expired keys', () => {
  let gpg: GnuPG;
  before(async () => {
    gpg = await GnuPG.create();
  });
  after(() => gpg.close());

  it('refuses a key revoked with its revocation certificate (KEY_REVOKED), also for older signatures', async () => {
    const fpr = await gpg.genKey('Revoked <revoked@example.org>');
    const sig = await gpg.detachSign(fpr, DATA);
    const before = await loadPgpPublicKeys(await gpg.exportPublic(fpr), 'r.asc');
    assertOk(await verifyDetached(DATA, enc(sig), before, new Date()), fpr);
    await gpg.import(await gpg.revocationCertificate(fpr));
    const revoked = await gpg.exportPublic(fpr);
    const gpgSays = await gpg.verifyFiles(sig, DATA);
    assert.match(gpgSays.status, /REVKEYSIG/, 'GnuPG sees the revocation too (it only warns; we refuse)');
    const after = await loadPgpPublicKeys(revoked, 'r.asc');
    assertFail(
      await verifyDetached(DATA, enc(sig), after, new Date()),
      'KEY_REVOKED',
      new RegExp(`key ${fpr} has been revoked`),
      fpr,
    );
    // A stale copy next to the revoked one does not undo the revocation, in one keyring or in two.
    const stale = before[0]!.armored;
    assertFail(
      await verifyDetached(DATA, enc(sig), await loadPgpPublicKeys(stale + revoked, 'ring'), new Date()),
      'KEY_REVOKED',
      /revoked/,
    );
    assertFail(
      await verifyDetached(DATA, enc(sig), [...before, ...after], new Date()),
      'KEY_REVOKED',
      /revoked/,
    );
    assertFail(
      await verifyDetached(DATA, enc(sig), [...after, ...before], new Date()),
      'KEY_REVOKED',
      /revoked/,
    );
  });

  it('refuses a key revoked as superseded after the signature was made (a signature date proves nothing)', async () => {
    const pair = await generatePgpKeyPair('Soft <soft@example.org>', undefined, { now: T0 });
    const key = await loadPgpPrivateKey(pair.privateArmored, undefined, 'soft.pgp.key', at(HOUR));
    const sig = await signDetached(key, DATA, at(HOUR));
    const revoked = await openpgp.revokeKey({
      key: key.key,
      reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.keySuperseded },
      date: at(2 * HOUR),
      format: 'object',
    });
    const keys = await loadPgpPublicKeys(revoked.publicKey.armor(), 'soft.asc');
    assertOk(await verifyDetached(DATA, enc(sig), keys, at(HOUR + 1000)), pair.fingerprint);
    assertFail(await verifyDetached(DATA, enc(sig), keys, at(3 * HOUR)), 'KEY_REVOKED', /revoked/);
  });

  it('refuses a revoked signing subkey (KEY_REVOKED)', async () => {
    const fpr = await gpg.genKey('RevSub <revsub@example.org>', { usage: 'cert' });
    await gpg.ok(['--quick-add-key', fpr, 'ed25519', 'sign', 'never']);
    const sig = await gpg.detachSign(fpr, DATA);
    const priv = await openpgp.readPrivateKey({ armoredKey: await gpg.exportSecret(fpr) });
    priv.subkeys[0] = await priv.subkeys[0]!.revoke(priv.keyPacket as openpgp.SecretKeyPacket);
    const keys = await loadPgpPublicKeys(priv.toPublic().armor(), 'revsub.asc');
    assertFail(
      await verifyDetached(DATA, enc(sig), keys, new Date()),
      'KEY_REVOKED',
      /subkey [0-9a-f]{40} of key .* has been revoked/,
      fpr,
    );
  });

  it('accepts a signature made while the key was valid, after the key expired (SPEC: "then-expired")', async () => {
    const fpr = await gpg.genKey('Brief <brief@example.org>', { expire: '1d', time: T0 });
    const sig = await gpg.detachSign(fpr, DATA, [], { time: at(HOUR) });
    const keys = await loadPgpPublicKeys(await gpg.exportPublic(fpr), 'brief.asc');
    assert.deepEqual(await keys[0]!.key.getExpirationTime(), at(DAY));
    assertOk(await verifyDetached(DATA, enc(sig), keys, new Date()), fpr);
  });

  it('refuses a signature made after the key expired (KEY_EXPIRED)', async () => {
    // gpg will not sign with an expired key, so sign first, then shorten the key's lifetime with a self-signature
    // dated before the signature: the key expired on day 1, the signature is from day 2.
    const fpr = await gpg.genKey('Lapsed <lapsed@example.org>', { time: T0 });
    const sig = await gpg.detachSign(fpr, DATA, [], { time: at(2 * DAY) });
    await gpg.ok(['--quick-set-expire', fpr, '1d'], { time: at(HOUR) });
    const keys = await loadPgpPublicKeys(await gpg.exportPublic(fpr), 'lapsed.asc');
    assertFail(
      await verifyDetached(DATA, enc(sig), keys, new Date()),
      'KEY_EXPIRED',
      new RegExp(
        `key ${fpr} expired at 2020-01-02T01:00:00.000Z, before the signature was made \\(2020-01-03`,
      ),
      fpr,
    );
    const gpgSays = await gpg.verifyFiles(sig, DATA);
    assert.match(gpgSays.status, /EXPKEYSIG/, 'GnuPG agrees the key has expired');
  });

  it('refuses a signature made after an openpgp.js key expired (KEY_EXPIRED)', async () => {
    const pair = await generatePgpKeyPair('Later <later@example.org>', undefined, { now: T0 });
    const key = await loadPgpPrivateKey(pair.privateArmored, undefined, 'later.pgp.key', at(2 * DAY));
    const sig = await signDetached(key, DATA, at(2 * DAY));
    // Give the key a one-day lifetime with self-signatures dated before the signature.
    const reformatted = await openpgp.reformatKey({
      privateKey: key.key,
      userIDs: [{ name: 'Later', email: 'later@example.org' }],
      keyExpirationTime: 86400,
      date: at(HOUR),
      format: 'object',
    });
    const keys = await loadPgpPublicKeys(reformatted.publicKey.armor(), 'later.asc');
    assertFail(
      await verifyDetached(DATA, enc(sig), keys, at(3 * DAY)),
      'KEY_EXPIRED',
      /expired at 2020-01-02T00:00:00.000Z/,
    );
  });

  it('refuses a signature older than the key', async () => {
    const fpr = await gpg.genKey('Young <young@example.org>', { time: at(DAY) });
    const sig = await gpg.detachSign(fpr, DATA, ['--ignore-time-conflict'], { time: T0 });
    const keys = await loadPgpPublicKeys(await gpg.exportPublic(fpr), 'young.asc');
    assertFail(
      await verifyDetached(DATA, enc(sig), keys, new Date()),
      'SIGNATURE_INVALID',
      /is older than key/,
      fpr,
    );
  });
});

describe('keys-example OpenPGP pair and lazy loading', () => {
  it('the example pair matches: v4, unprotected, public example user ID', async () => {
    const dir = join(ROOT, 'keys-example');
    const pub = await loadPgpPublicKeys(await readFile(join(dir, 'example.pgp.pub')), 'example.pgp.pub');
    const key = await loadPgpPrivateKey(
      await readFile(join(dir, 'example.pgp.key')),
      undefined,
      'example.pgp.key',
    );
    assert.equal(pub.length, 1);
    assert.equal(pub[0]!.version, 4);
    assert.equal(key.fingerprint, pub[0]!.fingerprint);
    assert.match(pub[0]!.userIds[0]!, /example/i);
    assertOk(
      await verifyDetached(DATA, enc(await signDetached(key, DATA)), pub, new Date()),
      key.fingerprint,
    );
  });

  it('no compiled module but pgp.js imports openpgp, and none imports pgp.js statically', async () => {
    const src = join(ROOT, 'dist', 'src');
    const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith('.js'));
    assert.ok(files.includes(join('core', 'pgp.js')));
    for (const file of files) {
      const code = await readFile(join(src, file), 'utf8');
      const name = relative(src, join(src, file));
      if (name !== join('core', 'pgp.js')) {
        assert.doesNotMatch(code, /^\s*(import|export)\b[^;]*?\bfrom\s*['"]openpgp['"]/m, name);
        assert.doesNotMatch(code, /^\s*import\s*['"]openpgp['"]/m, name);
      }
      assert.doesNotMatch(code, /^\s*(import|export)\b[^;]*?\bfrom\s*['"][^'"]*\/pgp\.js['"]/m, name);
    }
  });
});
