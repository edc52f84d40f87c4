/**
 * Ed25519 key files (SPEC §5): private keys as PKCS#8 PEM, optionally encrypted (PBES2, as `openssl genpkey
 * -aes-256-cbc` writes), public keys as SPKI PEM — the files `openssl genpkey -algorithm ed25519` and
 * `openssl pkey -pubout` read and write. Loading says exactly what is wrong with a key (KEY_INVALID) and never
 * echoes key material. Public keys of small order or with non-canonical encodings are refused here, when the
 * key is loaded, so that no trust decision ever rests on one.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { AurionError } from '../errors.js';
import { STANDARD_BASE64 } from './base64.js';
import { PUBLIC_KEY_LENGTH, publicKeyObject, publicKeyProblem } from './ed25519.js';

export interface Ed25519PublicKey {
  /** The raw 32-byte public key (RFC 8032 encoding). */
  readonly raw: Uint8Array;
  /** First 16 lowercase hex digits of SHA-256(raw). */
  readonly keyId: string;
  readonly keyObject: KeyObject;
}

export interface Ed25519PrivateKey {
  readonly keyObject: KeyObject;
  readonly publicKey: Ed25519PublicKey;
}

export interface GeneratedKeyPair {
  /** PKCS#8 PEM; `-----BEGIN ENCRYPTED PRIVATE KEY-----` when a passphrase was given. */
  readonly privatePem: string;
  /** SPKI PEM. */
  readonly publicPem: string;
  readonly keyId: string;
}

/** The key id of SPEC §5: the first 16 lowercase hex digits of SHA-256 of the raw 32-byte public key. */
export function keyIdOf(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

const MAKE_KEY_HINT =
  "make an Ed25519 key with 'aurion-plugin keygen --out PREFIX' or 'openssl genpkey -algorithm ed25519 -out KEY'";
const PASSPHRASE_SOURCES = '--passphrase-file FILE or the AURION_KEY_PASSPHRASE environment variable';

interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

/** Labels of PEM blocks that are keys, but not of the kind this tool reads, and what to say about them. */
const FOREIGN_LABELS: Readonly<Record<string, string>> = {
  'RSA PRIVATE KEY': 'it is an RSA private key, not Ed25519',
  'RSA PUBLIC KEY': 'it is an RSA public key, not Ed25519',
  'EC PRIVATE KEY': 'it is an EC (ECDSA) private key, not Ed25519',
  'DSA PRIVATE KEY': 'it is a DSA private key, not Ed25519',
  'OPENSSH PRIVATE KEY': 'it is an OpenSSH private key; only PKCS#8 PEM is read',
  'PGP PRIVATE KEY BLOCK': 'it is an OpenPGP private key (sign container bundles with it via --pgp-key)',
  'PGP PUBLIC KEY BLOCK': 'it is an OpenPGP public key (trust it with --pgp-keyring)',
  CERTIFICATE: 'it is an X.509 certificate, not a key',
};

function invalid(kind: 'private' | 'public', source: string, why: string, hint?: string): AurionError {
  return new AurionError('KEY_INVALID', `invalid Ed25519 ${kind} key ${source}: ${why}`, {
    ...(hint === undefined ? {} : { hint }),
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The PEM blocks of a key file (RFC 7468): text around the blocks is allowed, as OpenSSL allows it; a block
 * with headers (legacy `Proc-Type: 4,ENCRYPTED` PEM), bad base64 or a missing END line is an error.
 */
function pemBlocks(input: string | Uint8Array, kind: 'private' | 'public', source: string): PemBlock[] {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      text = '';
    }
    if (text === '' || text.includes('\0')) {
      throw invalid(
        kind,
        source,
        input.length === 0 ? 'the file is empty' : 'it is binary data (DER?), not a PEM text file',
        input.length === 0
          ? MAKE_KEY_HINT
          : `convert DER to PEM with 'openssl pkey -inform DER -in KEY${kind === 'public' ? ' -pubin' : ''} -out KEY.pem'`,
      );
    }
  }
  const begins = text.match(/-----BEGIN .+?-----/g) ?? [];
  if (begins.length === 0) {
    throw invalid(
      kind,
      source,
      `it is not a PEM file (no '-----BEGIN ${kind === 'private' ? 'PRIVATE' : 'PUBLIC'} KEY-----' line)`,
      MAKE_KEY_HINT,
    );
  }
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN (.+?)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const label = m[1]!;
    const body = m[2]!;
    if (FOREIGN_LABELS[label] !== undefined) {
      blocks.push({ label, der: Buffer.alloc(0) });
      continue;
    }
    if (body.includes(':')) {
      throw invalid(
        kind,
        source,
        `the '${label}' block has PEM headers (legacy OpenSSL encryption); only PKCS#8 is read`,
        "convert it with 'openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.key -out NEW.key'",
      );
    }
    const base64 = body.replace(/[\r\n\t ]/g, '');
    if (!STANDARD_BASE64.test(base64)) {
      throw invalid(kind, source, `the '${label}' block is not valid base64 (the file is damaged)`);
    }
    blocks.push({ label, der: Buffer.from(base64, 'base64') });
  }
  if (blocks.length < begins.length) {
    throw invalid(kind, source, 'a PEM block has no matching END line (the file is truncated or damaged)');
  }
  if (blocks.length > 1) {
    throw invalid(
      kind,
      source,
      `it holds ${blocks.length} PEM blocks (${blocks.map((b) => b.label).join(', ')}); give a file with exactly one key`,
    );
  }
  return blocks;
}

/** Names a non-Ed25519 key type for messages. */
function describeKeyType(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return 'an RSA key';
    case 'ec':
      return `an EC (ECDSA) key${key.asymmetricKeyDetails?.namedCurve === undefined ? '' : ` on ${key.asymmetricKeyDetails.namedCurve}`}`;
    case 'dsa':
      return 'a DSA key';
    case 'ed448':
      return 'an Ed448 key';
    case 'x25519':
      return 'an X25519 key (for key agreement, not signatures)';
    case 'x448':
      return 'an X448 key (for key agreement, not signatures)';
    default:
      return `a ${key.asymmetricKeyType ?? 'different kind of'} key`;
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - PUBLIC_KEY_LENGTH);
}

function publicKeyFrom(keyObject: KeyObject, raw: Uint8Array): Ed25519PublicKey {
  return { raw: new Uint8Array(raw), keyId: keyIdOf(raw), keyObject };
}

/**
 * Loads an SPKI PEM Ed25519 public key. KEY_INVALID, saying which: not PEM, damaged, a private key, another
 * key type, or a weak key (small order, non-canonical encoding, not on the curve).
 */
export function loadPublicKey(pem: string | Uint8Array, source: string): Ed25519PublicKey {
  const [block] = pemBlocks(pem, 'public', source);
  const { label, der } = block!;
  if (label === 'PRIVATE KEY' || label === 'ENCRYPTED PRIVATE KEY') {
    throw invalid(
      'public',
      source,
      'it is a private key, where a public key is expected',
      "give the public key (PREFIX.pub); 'openssl pkey -in KEY -pubout' derives it. Keep the private key secret",
    );
  }
  const foreign = FOREIGN_LABELS[label];
  if (foreign !== undefined) throw invalid('public', source, foreign, MAKE_KEY_HINT);
  if (label !== 'PUBLIC KEY') {
    throw invalid('public', source, `it holds a '${label}' PEM block, not 'PUBLIC KEY'`, MAKE_KEY_HINT);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw invalid('public', source, 'the PUBLIC KEY block does not parse as an SPKI public key');
  }
  if (keyObject.asymmetricKeyType !== 'ed25519') {
    throw invalid('public', source, `it is ${describeKeyType(keyObject)}, not Ed25519`, MAKE_KEY_HINT);
  }
  const raw = rawPublicKey(keyObject);
  const problem = publicKeyProblem(raw);
  if (problem !== undefined) {
    throw invalid(
      'public',
      source,
      `the key ${problem}; it is refused`,
      'trust only keys made by a real key generator',
    );
  }
  return publicKeyFrom(keyObject, raw);
}

/**
 * Loads a PKCS#8 PEM Ed25519 private key, decrypting it with `passphrase` when it is encrypted (a passphrase
 * given for an unencrypted key is ignored, so that a CI-wide AURION_KEY_PASSPHRASE does not get in the way).
 * KEY_INVALID, saying which: not PEM, damaged, encrypted without a passphrase, wrong passphrase, a public key,
 * another key type.
 */
export function loadPrivateKey(
  pem: string | Uint8Array,
  passphrase: string | undefined,
  source: string,
): Ed25519PrivateKey {
  const [block] = pemBlocks(pem, 'private', source);
  const { label, der } = block!;
  if (label === 'PUBLIC KEY') {
    throw invalid(
      'private',
      source,
      'it is a public key; signing needs the private key',
      'give the private key file (PREFIX.key), not PREFIX.pub',
    );
  }
  const foreign = FOREIGN_LABELS[label];
  if (foreign !== undefined) throw invalid('private', source, foreign, MAKE_KEY_HINT);
  const encrypted = label === 'ENCRYPTED PRIVATE KEY';
  if (!encrypted && label !== 'PRIVATE KEY') {
    throw invalid(
      'private',
      source,
      `it holds a '${label}' PEM block, not a PKCS#8 'PRIVATE KEY'`,
      MAKE_KEY_HINT,
    );
  }
  if (encrypted && passphrase === undefined) {
    throw invalid(
      'private',
      source,
      'it is encrypted and no passphrase was given',
      `give its passphrase with ${PASSPHRASE_SOURCES}`,
    );
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({
      key: der,
      format: 'der',
      type: 'pkcs8',
      ...(encrypted ? { passphrase: passphrase! } : {}),
    });
  } catch {
    // With CBC a wrong passphrase mostly fails the padding check and otherwise yields garbage that does not
    // parse: either way, for an encrypted key the passphrase is the likely culprit.
    if (encrypted) {
      throw invalid(
        'private',
        source,
        'wrong passphrase (or the encrypted key is damaged)',
        'check the passphrase; a passphrase file may end with one newline, which is not part of the passphrase',
      );
    }
    throw invalid(
      'private',
      source,
      'the PRIVATE KEY block does not parse as a PKCS#8 private key',
      MAKE_KEY_HINT,
    );
  }
  if (keyObject.asymmetricKeyType !== 'ed25519') {
    throw invalid('private', source, `it is ${describeKeyType(keyObject)}, not Ed25519`, MAKE_KEY_HINT);
  }
  const publicObject = createPublicKey(keyObject);
  return { keyObject, publicKey: publicKeyFrom(publicObject, rawPublicKey(publicObject)) };
}

/** Loads raw 32 public-key bytes with the same checks as loadPublicKey. */
export function publicKeyFromRaw(raw: Uint8Array, source: string): Ed25519PublicKey {
  const problem = publicKeyProblem(raw);
  if (problem !== undefined) throw invalid('public', source, `the key ${problem}; it is refused`);
  return publicKeyFrom(publicKeyObject(raw), raw);
}

/** The SPKI PEM of a public key (what `openssl pkey -pubout` writes). */
export function publicKeyPem(key: Ed25519PublicKey): string {
  return key.keyObject.export({ format: 'pem', type: 'spki' }).toString();
}

/**
 * A new Ed25519 key pair. With a passphrase the private key is encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256,
 * AES-256-CBC — what `openssl genpkey -aes-256-cbc` writes and `openssl pkey -passin` opens).
 */
export function generateEd25519KeyPair(passphrase?: string): GeneratedKeyPair {
  if (passphrase === '') {
    throw new AurionError('USAGE', 'the passphrase is empty; an empty passphrase would not protect the key', {
      hint: 'put a non-empty passphrase in the file, or give none to write an unencrypted key',
    });
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding:
      passphrase === undefined
        ? { type: 'pkcs8', format: 'pem' }
        : { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
  });
  const loaded = loadPublicKey(publicKey, 'the new public key');
  return { privatePem: privateKey, publicPem: publicKey, keyId: loaded.keyId };
}

/**
 * A passphrase from the bytes of a passphrase file: UTF-8, one line; a single trailing newline (LF or CRLF) is
 * not part of it, as with `openssl -passin file:`. Empty or multi-line files are refused (USAGE): a
 * passphrase silently cut at the first line break would be a trap.
 */
export function passphraseFromFile(bytes: Uint8Array, source: string): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new AurionError('USAGE', `the passphrase file ${source} is not UTF-8 text`);
  }
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase === '') {
    throw new AurionError('USAGE', `the passphrase file ${source} is empty`, {
      hint: 'write the passphrase into the file (one line)',
    });
  }
  if (/[\r\n]/.test(passphrase)) {
    throw new AurionError('USAGE', `the passphrase file ${source} holds more than one line`, {
      hint: 'a passphrase file holds the passphrase on one line, optionally followed by a newline',
    });
  }
  return passphrase;
}
