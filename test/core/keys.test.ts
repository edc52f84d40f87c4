import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  generateEd25519KeyPair,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
  passphraseFromFile,
  publicKeyFromRaw,
  publicKeyPem,
} from '../../src/core/keys.js';
import { expectAurionError, tempDir } from '../helpers.js';

const openssl = (args: string[], input?: string) =>
  execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');

const spki = (raw: Uint8Array) =>
  `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]).toString('base64')}\n-----END PUBLIC KEY-----\n`;

describe('keyIdOf', () => {
  it('is the first 16 hex digits of SHA-256 of the raw public key', () => {
    const raw = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    assert.equal(keyIdOf(raw), createHash('sha256').update(raw).digest('hex').slice(0, 16));
    assert.match(keyIdOf(raw), /^[0-9a-f]{16}$/);
  });
});

describe('keys made by OpenSSL', () => {
  it('a plain key from `openssl genpkey` loads, and its public key matches `openssl pkey -pubout`', async (t) => {
    const dir = await tempDir(t);
    const keyFile = join(dir, 'o.key');
    openssl(['genpkey', '-algorithm', 'ed25519', '-out', keyFile]);
    const pubPem = openssl(['pkey', '-in', keyFile, '-pubout']);
    const priv = loadPrivateKey(readFileSync(keyFile), undefined, keyFile);
    const pub = loadPublicKey(pubPem, 'o.pub');
    assert.deepEqual(priv.publicKey.raw, pub.raw);
    assert.equal(priv.publicKey.keyId, pub.keyId);
    assert.equal(publicKeyPem(pub), pubPem);
  });

  it('an -aes-256-cbc encrypted key opens with its passphrase, and says which when it cannot', async (t) => {
    const dir = await tempDir(t);
    const keyFile = join(dir, 'oe.key');
    openssl([
      'genpkey',
      '-algorithm',
      'ed25519',
      '-aes-256-cbc',
      '-pass',
      'pass:open sesame',
      '-out',
      keyFile,
    ]);
    const pem = readFileSync(keyFile, 'utf8');
    assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const pubPem = openssl(['pkey', '-in', keyFile, '-passin', 'pass:open sesame', '-pubout']);
    assert.deepEqual(
      loadPrivateKey(pem, 'open sesame', keyFile).publicKey.raw,
      loadPublicKey(pubPem, 'p').raw,
    );

    const missing = await expectAurionError(() => loadPrivateKey(pem, undefined, keyFile), 'KEY_INVALID');
    assert.match(missing.message, /encrypted and no passphrase was given/);
    assert.match(missing.hint ?? '', /--passphrase-file.*AURION_KEY_PASSPHRASE/);
    const wrong = await expectAurionError(() => loadPrivateKey(pem, 'open sesame!', keyFile), 'KEY_INVALID');
    assert.match(wrong.message, /wrong passphrase/);
    assert.ok(wrong.message.includes(keyFile));
  });

  for (const [what, args, expected] of [
    ['RSA', ['genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:1024'], /an RSA key, not Ed25519/],
    [
      'EC (PKCS#8)',
      ['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      /EC \(ECDSA\) key/,
    ],
    ['EC (SEC1)', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'], /EC \(ECDSA\) private key/],
    ['Ed448', ['genpkey', '-algorithm', 'ed448'], /an Ed448 key, not Ed25519/],
    ['X25519', ['genpkey', '-algorithm', 'x25519'], /X25519 key .*not Ed25519/],
  ] as const) {
    it(`refuses an ${what} private key and its public key (KEY_INVALID, says which)`, async (t) => {
      const dir = await tempDir(t);
      const keyFile = join(dir, 'k.pem');
      openssl([...args, '-out', keyFile]);
      const e = await expectAurionError(
        () => loadPrivateKey(readFileSync(keyFile), undefined, keyFile),
        'KEY_INVALID',
      );
      assert.match(e.message, expected);
      assert.match(e.hint ?? '', /openssl genpkey -algorithm ed25519/);
      const pubPem = openssl(['pkey', '-in', keyFile, '-pubout']);
      const p = await expectAurionError(() => loadPublicKey(pubPem, 'k.pub'), 'KEY_INVALID');
      assert.match(p.message, /not Ed25519|EC \(ECDSA\)/);
    });
  }
});

describe('loadPrivateKey / loadPublicKey: bad input', () => {
  const pair = generateEd25519KeyPair();

  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    ['an empty file', new Uint8Array(0), /the file is empty/],
    ['text that is not PEM', 'hello, world\n', /not a PEM file/],
    [
      'binary data (DER)',
      new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x00]),
      /binary data/,
    ],
    ['bad base64', '-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n', /not valid base64/],
    ['a truncated PEM block', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n', /no matching END line/],
    [
      'a block that is not PKCS#8',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      /does not parse as a PKCS#8/,
    ],
    ['two keys in one file', pair.privatePem + pair.privatePem, /holds 2 PEM blocks/],
    [
      'an OpenSSH key',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      /OpenSSH/,
    ],
    [
      'an OpenPGP key',
      '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nAAAA\n=AAAA\n-----END PGP PRIVATE KEY BLOCK-----\n',
      /OpenPGP private key/,
    ],
    [
      'legacy encrypted PEM',
      '-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END PRIVATE KEY-----\n',
      /legacy OpenSSL encryption/,
    ],
    ['a public key', pair.publicPem, /it is a public key; signing needs the private key/],
  ];
  for (const [what, input, expected] of cases) {
    it(`private key: ${what} is KEY_INVALID`, async () => {
      const e = await expectAurionError(() => loadPrivateKey(input, undefined, 'my.key'), 'KEY_INVALID');
      assert.match(e.message, expected);
      assert.match(e.message, /my\.key/);
    });
  }

  it('public key: a private key where a public one is expected is KEY_INVALID', async () => {
    const e = await expectAurionError(() => loadPublicKey(pair.privatePem, 'alice.pub'), 'KEY_INVALID');
    assert.match(e.message, /it is a private key, where a public key is expected/);
  });

  it('public key: a small-order or non-canonical key is refused at load', async () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const small = await expectAurionError(() => loadPublicKey(spki(identity), 'weak.pub'), 'KEY_INVALID');
    assert.match(small.message, /small order/);
    const nonCanonical = new Uint8Array(Buffer.from('ee'.padEnd(62, 'f') + '7f', 'hex'));
    const nc = await expectAurionError(() => loadPublicKey(spki(nonCanonical), 'nc.pub'), 'KEY_INVALID');
    assert.match(nc.message, /non-canonical/);
    const offCurve = new Uint8Array(32);
    offCurve[0] = 2;
    const off = await expectAurionError(() => publicKeyFromRaw(offCurve, 'raw'), 'KEY_INVALID');
    assert.match(off.message, /not a point on the Ed25519 curve/);
  });

  it('never puts key material in a message', async () => {
    const body = pair.privatePem.split('\n')[1]!;
    const e = await expectAurionError(
      () => loadPrivateKey(pair.privatePem + pair.publicPem, undefined, 'x.key'),
      'KEY_INVALID',
    );
    assert.ok(!e.message.includes(body.slice(0, 20)));
    assert.ok(!(e.hint ?? '').includes(body.slice(0, 20)));
  });

  it('ignores text around the PEM block, as OpenSSL does, and a passphrase for an unencrypted key', () => {
    const key = loadPrivateKey(`Bag Attributes: none\n${pair.privatePem}\ntrailing words\n`, 'unused', 'k');
    assert.equal(key.publicKey.keyId, pair.keyId);
  });
});

describe('generateEd25519KeyPair', () => {
  it('writes PKCS#8 / SPKI PEM; OpenSSL reads both and derives the same public key', async (t) => {
    const dir = await tempDir(t);
    const pair = generateEd25519KeyPair();
    assert.match(pair.privatePem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(pair.publicPem, /^-----BEGIN PUBLIC KEY-----\n/);
    writeFileSync(join(dir, 'k.key'), pair.privatePem);
    assert.equal(openssl(['pkey', '-in', join(dir, 'k.key'), '-pubout']), pair.publicPem);
    assert.equal(loadPublicKey(pair.publicPem, 'k.pub').keyId, pair.keyId);
  });

  it('with a passphrase writes standard encrypted PKCS#8 (PBES2, AES-256-CBC) that `openssl pkey -passin` opens', async (t) => {
    const dir = await tempDir(t);
    const pair = generateEd25519KeyPair('correct horse');
    assert.match(pair.privatePem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const file = join(dir, 'k.key');
    writeFileSync(file, pair.privatePem);
    const asn1 = openssl(['asn1parse', '-in', file]);
    assert.match(asn1, /PBES2/);
    assert.match(asn1, /aes-256-cbc/);
    assert.equal(openssl(['pkey', '-in', file, '-passin', 'pass:correct horse', '-pubout']), pair.publicPem);
    assert.throws(() => openssl(['pkey', '-in', file, '-passin', 'pass:wrong', '-pubout']));
    assert.equal(loadPrivateKey(pair.privatePem, 'correct horse', file).publicKey.keyId, pair.keyId);
  });

  it('refuses an empty passphrase (USAGE)', async () => {
    await expectAurionError(() => generateEd25519KeyPair(''), 'USAGE');
  });

  it('makes a different key each time', () => {
    assert.notEqual(generateEd25519KeyPair().keyId, generateEd25519KeyPair().keyId);
  });
});

describe('passphraseFromFile', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('drops one trailing newline (LF or CRLF) and keeps everything else', () => {
    assert.equal(passphraseFromFile(bytes('s3cret\n'), 'f'), 's3cret');
    assert.equal(passphraseFromFile(bytes('s3cret\r\n'), 'f'), 's3cret');
    assert.equal(passphraseFromFile(bytes(' spaced out '), 'f'), ' spaced out ');
    assert.equal(passphraseFromFile(bytes('pässwörd'), 'f'), 'pässwörd');
  });

  it('refuses empty, multi-line and non-UTF-8 files (USAGE)', async () => {
    for (const input of [bytes(''), bytes('\n'), bytes('one\ntwo\n'), new Uint8Array([0xff, 0xfe])]) {
      await expectAurionError(() => passphraseFromFile(input, 'f'), 'USAGE');
    }
  });
});
