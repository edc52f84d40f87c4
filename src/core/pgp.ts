/**
 * OpenPGP for container bundles (SPEC §5): v4 Ed25519 keys that GnuPG 2.2 imports, detached binary-mode
 * signatures over exact bytes, and a verifier that fails closed. openpgp.js is large: only ever import this
 * module lazily (`await import('./pgp.js')`), on the paths that need it.
 */
import * as openpgp from 'openpgp';
import { AurionError, type ErrorCode } from '../errors.js';

/** A trusted (or to-be-trusted) OpenPGP public key: one primary key with its subkeys and signatures. */
export interface PgpPublicKey {
  /** Primary key fingerprint, lowercase hex (40 digits for v4 keys, 64 for v6). */
  readonly fingerprint: string;
  /** Long key ID of the primary key, 16 lowercase hex digits. */
  readonly keyId: string;
  /** Key packet version (4 for everything `keygen --type pgp` and GnuPG 2.2 make). */
  readonly version: number;
  /** Fingerprints of the subkeys, lowercase hex. */
  readonly subkeyFingerprints: readonly string[];
  readonly userIds: readonly string[];
  /** This key alone, ASCII-armored (public material only). */
  readonly armored: string;
  readonly key: openpgp.PublicKey;
}

/** A decrypted private key that can sign data (checked when loaded). */
export interface PgpPrivateKey {
  readonly fingerprint: string;
  readonly keyId: string;
  readonly userIds: readonly string[];
  /** The public half, e.g. to print the fingerprint or to check a fresh signature. */
  readonly publicKey: PgpPublicKey;
  readonly key: openpgp.PrivateKey;
}

export interface PgpKeyPair {
  readonly privateArmored: string;
  readonly publicArmored: string;
  readonly fingerprint: string;
  /** An armored key revocation certificate (reason: none given), to keep offline. */
  readonly revocationCertificate: string;
}

export interface GeneratePgpOptions {
  /** Key creation time (default: now). */
  readonly now?: Date;
  /** Seconds after creation when the key expires (default: never). */
  readonly expiresInSeconds?: number;
}

export type PgpVerification =
  | {
      readonly ok: true;
      /** Primary key fingerprint of the trusted key that made the signature. */
      readonly fingerprint: string;
      /** Fingerprint of the key packet that signed: the primary key or one of its signing subkeys. */
      readonly signingKeyFingerprint: string;
      /** The signature's creation time. */
      readonly created: Date;
    }
  | {
      readonly ok: false;
      readonly code: Extract<
        ErrorCode,
        'SIGNATURE_INVALID' | 'KEY_UNTRUSTED' | 'KEY_REVOKED' | 'KEY_EXPIRED'
      >;
      readonly message: string;
      /** Fingerprint of the signer when the signature names or matches one. */
      readonly fingerprint?: string;
    };

/** How far in the future a signature's creation time may lie (clocks of signer and verifier differ). */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const { enums } = openpgp;

/**
 * Pinned settings (never openpgp.js's mutable global defaults): v4 keys so that GnuPG 2.2 reads them, no AEAD
 * key protection (GnuPG 2.2 cannot decrypt it), iterated+salted S2K, SHA-512 preferred.
 */
const CONFIG: openpgp.Config = {
  ...openpgp.config,
  v6Keys: false,
  aeadProtect: false,
  s2kType: enums.s2k.iterated,
  preferredHashAlgorithm: enums.hash.sha512,
  allowMissingKeyFlags: false,
  ignoreMalformedPackets: false,
  allowInsecureVerificationWithReformattedKeys: false,
  rejectHashAlgorithms: new Set([enums.hash.md5, enums.hash.ripemd]),
  rejectMessageHashAlgorithms: new Set([
    enums.hash.md5,
    enums.hash.ripemd,
    enums.hash.sha1,
    enums.hash.sha224,
  ]),
};

/** Hash algorithms accepted in data signatures: SHA-256 or stronger. */
const STRONG_HASHES: ReadonlySet<number> = new Set([
  enums.hash.sha256,
  enums.hash.sha384,
  enums.hash.sha512,
  enums.hash.sha3_256,
  enums.hash.sha3_512,
]);

const HASH_NAMES: Readonly<Record<number, string>> = {
  [enums.hash.md5]: 'MD5',
  [enums.hash.sha1]: 'SHA-1',
  [enums.hash.ripemd]: 'RIPEMD-160',
  [enums.hash.sha224]: 'SHA-224',
  [enums.hash.sha256]: 'SHA-256',
  [enums.hash.sha384]: 'SHA-384',
  [enums.hash.sha512]: 'SHA-512',
  [enums.hash.sha3_256]: 'SHA3-256',
  [enums.hash.sha3_512]: 'SHA3-512',
};

const PASSPHRASE_HINT = 'give the passphrase with --passphrase-file FILE or AURION_KEY_PASSPHRASE';

// ---------------------------------------------------------------------------------------------------------
// Key generation

/**
 * A new v4 key: an Ed25519 ("EdDSA legacy", algorithm 22) primary key that certifies and signs, no subkeys
 * (nothing here encrypts). `userId` is kept exactly ("Name <mail>", "Name (comment) <mail>", "<mail>", "Name").
 */
export async function generatePgpKeyPair(
  userId: string,
  passphrase?: string,
  options: GeneratePgpOptions = {},
): Promise<PgpKeyPair> {
  const userIdObject = parseUserId(userId);
  if (passphrase === '') {
    throw new AurionError(
      'USAGE',
      'the passphrase is empty; an empty passphrase would leave the key unprotected',
      {
        hint: 'put a non-empty passphrase in the file, or give none to write an unprotected key',
      },
    );
  }
  const expires = options.expiresInSeconds ?? 0;
  if (!Number.isSafeInteger(expires) || expires < 0 || expires > 0xffffffff) {
    throw new AurionError('USAGE', `invalid key lifetime ${expires}: expected whole seconds, 0 for never`);
  }
  let generated: { privateKey: string; publicKey: string; revocationCertificate: string };
  try {
    generated = await openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [userIdObject],
      subkeys: [],
      keyExpirationTime: expires,
      date: options.now ?? new Date(),
      format: 'armored',
      config: CONFIG,
      ...(passphrase === undefined ? {} : { passphrase }),
    });
  } catch (e) {
    throw new AurionError('USAGE', `cannot make an OpenPGP key for user ID "${userId}": ${errorText(e)}`, {
      cause: e,
      hint: 'write the user ID as "Name <email@example.org>"',
    });
  }
  const publicKey = await openpgp.readKey({ armoredKey: generated.publicKey, config: CONFIG });
  const written = publicKey.getUserIDs();
  // openpgp.js rebuilds the user ID from its parts; refuse anything it would not keep byte for byte.
  if (written.length !== 1 || written[0] !== userId) {
    throw new AurionError(
      'USAGE',
      `invalid OpenPGP user ID "${userId}": it would be stored as "${written[0]}"`,
      {
        hint: 'write the user ID as "Name <email@example.org>"',
      },
    );
  }
  if (publicKey.keyPacket.version !== 4) {
    throw new AurionError('INTERNAL', `openpgp.js made a v${publicKey.keyPacket.version} key; expected v4`);
  }
  return {
    privateArmored: generated.privateKey,
    publicArmored: generated.publicKey,
    fingerprint: publicKey.getFingerprint().toLowerCase(),
    revocationCertificate: generated.revocationCertificate,
  };
}

/** "Name (comment) <email>" -> its parts; USAGE for anything that is not a plain one-line user ID. */
function parseUserId(userId: string): openpgp.UserID {
  const invalid = (why: string) =>
    new AurionError('USAGE', `invalid OpenPGP user ID "${userId}": ${why}`, {
      hint: 'write the user ID as "Name <email@example.org>"',
    });
  if (userId.trim() === '') throw invalid('it is empty');
  if (userId !== userId.trim()) throw invalid('it starts or ends with white space');
  if (/[\u0000-\u001f\u007f]/.test(userId)) throw invalid('it contains a control character');
  if (userId.length > 1024) throw invalid('it is longer than 1024 characters');
  const m = /^(?:([^<>()]*?)\s*)?(?:\(([^()]*)\)\s*)?(?:<([^<>]*)>)?$/.exec(userId);
  if (m === null) throw invalid('expected "Name <email>", "Name (comment) <email>", "<email>" or "Name"');
  const [, name, comment, email] = m;
  return {
    ...(name ? { name } : {}),
    ...(comment !== undefined ? { comment } : {}),
    ...(email !== undefined ? { email } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Loading keys

/**
 * A bare key revocation certificate: a key revocation signature (type 0x20) without the key it revokes, as
 * `keygen --type pgp` writes to `PREFIX.pgp.rev` and GnuPG keeps in `openpgp-revocs.d/`. It counts only once it
 * has been checked against the key it names (see mergePgpKeys).
 */
export interface PgpRevocation {
  /** The key it names, lowercase hex: the issuer fingerprint when the signature has one, else the long key ID. */
  readonly issuer: string;
  /** Where it was read, for messages. */
  readonly source: string;
  readonly signature: openpgp.SignaturePacket;
}

/** What a keyring file holds: public keys and bare revocation certificates, in any order and mix. */
export interface PgpKeyring {
  /** The keys, copies of one key merged and the file's own revocation certificates applied. */
  readonly keys: readonly PgpPublicKey[];
  /** Every bare revocation certificate in the file, so that it also applies to copies of its key read elsewhere. */
  readonly revocations: readonly PgpRevocation[];
}

/**
 * Reads one or several OpenPGP public keys: armored blocks (a keyring export, or several exports one after
 * the other) or binary (`gpg --export`). Copies of one key are merged (so a revocation in any copy counts) and
 * revocation certificates in the same input are applied. KEY_INVALID for anything that holds no public key,
 * holds private key material, or does not parse.
 */
export async function loadPgpPublicKeys(input: string | Uint8Array, source: string): Promise<PgpPublicKey[]> {
  const { keys } = await loadPgpKeyring(input, source);
  if (keys.length === 0) {
    throw new AurionError('KEY_INVALID', `invalid OpenPGP public key ${source}: it holds no key`, {
      hint: 'export the key with `gpg --export --armor FINGERPRINT`',
    });
  }
  return [...keys];
}

/**
 * Reads a keyring (`--pgp-keyring`, a policy's `pgp_keys` file): public keys as loadPgpPublicKeys reads them,
 * and bare revocation certificates (`PREFIX.pgp.rev`, `gpg --gen-revoke`), which may stand alone: a file that
 * holds only a revocation certificate is a valid keyring without keys. KEY_INVALID for private key material, data
 * that does not parse, a signature outside a key that is not a key revocation, a file with neither keys nor
 * revocation certificates, and a revocation certificate for a key in the file that does not verify with it.
 */
export async function loadPgpKeyring(input: string | Uint8Array, source: string): Promise<PgpKeyring> {
  const invalid = (why: string, hint?: string, cause?: unknown) =>
    new AurionError('KEY_INVALID', `invalid OpenPGP public key ${source}: ${why}`, {
      hint: hint ?? 'export the key with `gpg --export --armor FINGERPRINT`',
      cause,
    });
  const privateMaterial = () =>
    invalid(
      'it holds private key material where a public key is expected',
      'give the public key (.pgp.pub, or `gpg --export --armor FINGERPRINT`); keep the private key secret',
    );
  const chunks: Array<{ data: Uint8Array | string; armored: boolean }> = [];
  if (typeof input !== 'string' && isBinaryPacketData(input)) {
    chunks.push({ data: input, armored: false });
  } else {
    const text = decodeText(input);
    if (text === undefined) throw invalid('neither OpenPGP binary data nor UTF-8 text');
    const blocks = armorBlocks(text);
    if (blocks.length === 0) {
      throw invalid('no armored OpenPGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----) found');
    }
    for (const block of blocks) {
      if (block.type === 'PRIVATE KEY BLOCK') throw privateMaterial();
      if (block.type !== 'PUBLIC KEY BLOCK') throw invalid(`it holds a PGP ${block.type}, not a public key`);
      chunks.push({ data: block.text, armored: true });
    }
  }
  const keys: openpgp.PublicKey[] = [];
  const revocations: PgpRevocation[] = [];
  for (const chunk of chunks) {
    let packets: openpgp.PacketList<openpgp.AnyPacket>;
    try {
      const bytes =
        typeof chunk.data === 'string' ? (await openpgp.unarmor(chunk.data, CONFIG)).data : chunk.data;
      packets = await openpgp.PacketList.fromBinary(bytes, KEYRING_PACKETS, CONFIG);
    } catch (e) {
      const what = chunk.armored ? 'the armored key does not parse' : 'not a readable OpenPGP key';
      throw invalid(`${what}: ${errorText(e)}`, undefined, e);
    }
    const tags = packets.map((p) => (p.constructor as unknown as { tag: number }).tag);
    if (tags.some((t) => t === enums.packet.secretKey || t === enums.packet.secretSubkey)) {
      throw privateMaterial();
    }
    // Packets before the first key belong to no key: only key revocation signatures may stand there.
    const firstKey = tags.indexOf(enums.packet.publicKey);
    const loose = firstKey === -1 ? packets.length : firstKey;
    for (const packet of packets.slice(0, loose)) {
      if (!(packet instanceof openpgp.SignaturePacket)) {
        throw invalid('it holds packets outside any key (a key block must start with a public key packet)');
      }
      if (packet.signatureType !== enums.signature.keyRevocation) {
        const type = `0x${(packet.signatureType ?? 0).toString(16).padStart(2, '0')}`;
        throw invalid(
          `it holds a signature of type ${type} outside any key; only key revocation certificates (0x20) may stand alone`,
        );
      }
      revocations.push({ issuer: issuerOf(packet), source, signature: packet });
    }
    for (let i = loose; i < packets.length; ) {
      let next = tags.indexOf(enums.packet.publicKey, i + 1);
      if (next === -1) next = packets.length;
      try {
        keys.push(new openpgp.PublicKey(packets.slice(i, next) as openpgp.PacketList<openpgp.AnyPacket>));
      } catch (e) {
        throw invalid(`the key does not parse: ${errorText(e)}`, undefined, e);
      }
      i = next;
    }
  }
  if (keys.length === 0 && revocations.length === 0) throw invalid('it holds no key');
  return { keys: await mergeAndRevoke(keys, revocations), revocations };
}

/**
 * The key revocations `key` carries that verify with it, as certificates: so that a revoked copy that is read
 * but not trusted (a policy entry's file may hold other keys) still revokes copies of the key trusted elsewhere.
 */
export async function revocationsOf(key: PgpPublicKey, source: string): Promise<PgpRevocation[]> {
  const valid: PgpRevocation[] = [];
  for (const signature of key.key.revocationSignatures) {
    try {
      await signature.verify(
        key.key.keyPacket,
        enums.signature.keyRevocation,
        { key: key.key.keyPacket },
        null as unknown as Date,
        false,
        CONFIG,
      );
      valid.push({ issuer: key.fingerprint, source, signature });
    } catch {
      // openpgp.js ignores a revocation that does not verify; so does this.
    }
  }
  return valid;
}

/** The packets a keyring may hold (as openpgp.js's readKeys allows; its typings say Map, it reads a plain object by tag). */
const KEYRING_PACKETS = Object.fromEntries(
  [
    openpgp.PublicKeyPacket,
    openpgp.PublicSubkeyPacket,
    openpgp.SecretKeyPacket,
    openpgp.SecretSubkeyPacket,
    openpgp.UserIDPacket,
    openpgp.UserAttributePacket,
    openpgp.SignaturePacket,
  ].map((packet) => [packet.tag, packet]),
) as unknown as Parameters<typeof openpgp.PacketList.fromBinary>[1];

/** The key a revocation names: its issuer fingerprint, else its issuer key ID (lowercase hex). */
function issuerOf(sig: openpgp.SignaturePacket): string {
  return sig.issuerFingerprint ? hex(sig.issuerFingerprint) : sig.issuerKeyID.toHex().toLowerCase();
}

/**
 * Merges copies of one key (same primary fingerprint) from any number of sources, in the order of first
 * appearance, and applies every revocation certificate to the key it names, so that a revocation in any copy
 * or certificate counts whatever the order. A certificate must verify with the key it names (made by the key
 * itself): KEY_INVALID otherwise. A certificate for a key not in `keys` is ignored: without the key it cannot be
 * checked, and a key that is not there is not trusted anyway.
 */
export function mergePgpKeys(
  keys: readonly PgpPublicKey[],
  revocations: readonly PgpRevocation[],
): Promise<PgpPublicKey[]> {
  return mergeAndRevoke(
    keys.map((k) => k.key),
    revocations,
  );
}

async function mergeAndRevoke(
  keys: readonly openpgp.PublicKey[],
  revocations: readonly PgpRevocation[],
): Promise<PgpPublicKey[]> {
  const merged = await mergeCopies(keys);
  const result: PgpPublicKey[] = [];
  for (const key of merged) {
    const fingerprint = key.getFingerprint().toLowerCase();
    const keyId = key.getKeyID().toHex().toLowerCase();
    const mine = revocations.filter((r) => r.issuer === fingerprint || r.issuer === keyId);
    const known = new Set(key.revocationSignatures.map((s) => hex(s.write())));
    const fresh: openpgp.SignaturePacket[] = [];
    for (const revocation of mine) {
      try {
        // No date: whether the revocation is in force is judged at verification time (see checkWithKey).
        await revocation.signature.verify(
          key.keyPacket,
          enums.signature.keyRevocation,
          { key: key.keyPacket },
          null as unknown as Date,
          false,
          CONFIG,
        );
      } catch (e) {
        throw new AurionError(
          'KEY_INVALID',
          `invalid OpenPGP revocation certificate in ${revocation.source}: it names key ${fingerprint} but was not made by it (${errorText(e)})`,
          { hint: "remove it, or get the key's revocation certificate again from its owner", cause: e },
        );
      }
      const bytes = hex(revocation.signature.write());
      if (!known.has(bytes)) {
        known.add(bytes);
        fresh.push(revocation.signature);
      }
    }
    if (fresh.length === 0) {
      result.push(describePublicKey(key));
      continue;
    }
    const packets = new openpgp.PacketList<openpgp.AnyPacket>();
    packets.push(...key.toPacketList(), ...fresh);
    result.push(describePublicKey(new openpgp.PublicKey(packets)));
  }
  return result;
}

/**
 * Reads one armored OpenPGP private key, decrypts it with `passphrase` when it is protected (a passphrase given
 * for an unprotected key is ignored), and checks that it can sign at `now`. KEY_INVALID says which it was:
 * not a private key, unreadable, missing or wrong passphrase, or a key that cannot sign.
 */
export async function loadPgpPrivateKey(
  input: string | Uint8Array,
  passphrase: string | undefined,
  source: string,
  now: Date = new Date(),
): Promise<PgpPrivateKey> {
  const invalid = (why: string, hint?: string, cause?: unknown) =>
    new AurionError('KEY_INVALID', `invalid OpenPGP private key ${source}: ${why}`, {
      ...(hint === undefined ? {} : { hint }),
      cause,
    });
  const text = decodeText(input);
  if (text === undefined) throw invalid('not UTF-8 text (an ASCII-armored OpenPGP private key is expected)');
  const blocks = armorBlocks(text);
  if (blocks.length === 0) {
    throw invalid('no armored OpenPGP private key (-----BEGIN PGP PRIVATE KEY BLOCK-----) found');
  }
  const first = blocks[0]!;
  if (first.type === 'PUBLIC KEY BLOCK') {
    throw invalid('it is a public key, not a private key', 'sign with the private key file (PREFIX.pgp.key)');
  }
  if (first.type !== 'PRIVATE KEY BLOCK') throw invalid(`it holds a PGP ${first.type}, not a private key`);
  if (blocks.length > 1) throw invalid('it holds more than one armored block; give exactly one private key');
  let keys: openpgp.PrivateKey[];
  try {
    keys = await openpgp.readPrivateKeys({ armoredKeys: first.text, config: CONFIG });
  } catch (e) {
    throw invalid(`the armored key does not parse: ${errorText(e)}`, undefined, e);
  }
  if (keys.length !== 1) throw invalid(`it holds ${keys.length} private keys; give exactly one`);
  let key = keys[0]!;
  if (!key.isDecrypted()) {
    if (passphrase === undefined) {
      throw invalid('it is protected by a passphrase and none was given', PASSPHRASE_HINT);
    }
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase, config: CONFIG });
    } catch (e) {
      const wrong = /passphrase/i.test(errorText(e));
      throw invalid(
        wrong ? 'wrong passphrase' : `cannot decrypt it: ${errorText(e)}`,
        wrong ? PASSPHRASE_HINT : undefined,
        e,
      );
    }
  }
  let signingKey: openpgp.PrivateKey | openpgp.Subkey;
  try {
    signingKey = await key.getSigningKey(undefined, now, undefined, CONFIG);
  } catch (e) {
    throw invalid(`it cannot sign: ${errorText(e)}`, 'use a key that is valid now and has a signing key', e);
  }
  const packet = signingKey.keyPacket as openpgp.SecretKeyPacket | openpgp.SecretSubkeyPacket;
  if (typeof packet.isDummy === 'function' && packet.isDummy()) {
    throw invalid('its signing key has no secret material (a GnuPG stub, e.g. from --export-secret-subkeys)');
  }
  const publicKey = describePublicKey(key.toPublic());
  return {
    fingerprint: publicKey.fingerprint,
    keyId: publicKey.keyId,
    userIds: publicKey.userIds,
    publicKey,
    key,
  };
}

function describePublicKey(key: openpgp.PublicKey): PgpPublicKey {
  return {
    fingerprint: key.getFingerprint().toLowerCase(),
    keyId: key.getKeyID().toHex().toLowerCase(),
    version: key.keyPacket.version,
    subkeyFingerprints: key.subkeys.map((s) => s.getFingerprint().toLowerCase()),
    userIds: key.getUserIDs(),
    armored: key.armor(CONFIG),
    key,
  };
}

/**
 * Merges copies of the same key (same primary fingerprint), keeping the order of first appearance. openpgp.js
 * keeps every signature of either copy that verifies; no date is given, so nothing is dropped for being too new
 * or expired: which signatures are in force is judged at verification time, with the verifier's `now`.
 */
async function mergeCopies(keys: readonly openpgp.PublicKey[]): Promise<openpgp.PublicKey[]> {
  const byFingerprint = new Map<string, openpgp.PublicKey>();
  for (const key of keys) {
    const fpr = key.getFingerprint().toLowerCase();
    const seen = byFingerprint.get(fpr);
    byFingerprint.set(
      fpr,
      seen === undefined ? key : await seen.update(key, null as unknown as Date, CONFIG),
    );
  }
  return [...byFingerprint.values()];
}

// ---------------------------------------------------------------------------------------------------------
// Signing

/**
 * A detached, ASCII-armored, binary-mode (type 0x00) signature over exactly `data`, SHA-256 or stronger
 * (SHA-512 for Ed25519 keys). The result is checked with verifyDetached before it is returned.
 */
export async function signDetached(
  key: PgpPrivateKey,
  data: Uint8Array,
  now: Date = new Date(),
): Promise<string> {
  const message = await openpgp.createMessage({ binary: data });
  let armored: string;
  try {
    armored = await openpgp.sign({
      message,
      signingKeys: key.key,
      detached: true,
      format: 'armored',
      date: now,
      config: CONFIG,
    });
  } catch (e) {
    throw new AurionError('KEY_INVALID', `cannot sign with OpenPGP key ${key.fingerprint}: ${errorText(e)}`, {
      cause: e,
    });
  }
  // Never hand out a signature our own verifier (and so GnuPG's rules as SPEC §5 states them) would refuse.
  const check = await verifyDetached(data, new TextEncoder().encode(armored), [key.publicKey], now);
  if (!check.ok) {
    throw new AurionError('INTERNAL', `the new OpenPGP signature does not verify: ${check.message}`);
  }
  return armored;
}

// ---------------------------------------------------------------------------------------------------------
// Verification

type Failure = Extract<PgpVerification, { ok: false }>;

/** How far a signature packet got; the most advanced failure is the one reported. */
const Stage = { Format: 1, Signer: 2, Cryptography: 3, KeyState: 4 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];

interface PacketVerdict {
  readonly stage: Stage;
  readonly result: PgpVerification;
}

/**
 * Verifies a detached ASCII-armored signature over exactly `data`. Passes when at least one signature packet
 *  - is a binary-mode data signature (type 0x00) with SHA-256 or stronger,
 *  - names (by issuer fingerprint, else key ID) a key in `trusted`: a primary key or a subkey,
 *  - verifies over `data` with that key, was made no later than `now` (plus CLOCK_SKEW_MS) and has not expired,
 *  - and that key is not revoked (at all: a signature's date is the signer's claim), was not expired when the
 *    signature was made, and was then valid for signing data.
 * Otherwise the failure of the packet that got furthest is returned, as a code of SPEC §2.
 */
export async function verifyDetached(
  data: Uint8Array,
  armoredSignature: Uint8Array,
  trusted: readonly PgpPublicKey[],
  now: Date,
): Promise<PgpVerification> {
  const packets = await readSignaturePackets(armoredSignature);
  if (!Array.isArray(packets)) return packets;
  const keys = await mergeCopies(trusted.map((t) => t.key));
  const message = await openpgp.createMessage({ binary: data });
  const literal = message.packets.filterByTag(enums.packet.literalData)[0];
  if (literal === undefined) throw new AurionError('INTERNAL', 'openpgp.js made no literal data packet');
  let best: PacketVerdict | undefined;
  for (const [i, packet] of packets.entries()) {
    const verdict = await verifyPacket(packet, literal, keys, now);
    if (verdict.result.ok) return verdict.result;
    if (best === undefined || verdict.stage > best.stage) {
      const prefix = packets.length > 1 ? `signature ${i + 1} of ${packets.length}: ` : '';
      best = {
        stage: verdict.stage,
        result: { ...verdict.result, message: prefix + verdict.result.message },
      };
    }
  }
  return best!.result;
}

/** The signature packets of an armored `PGP SIGNATURE` block, or why there are none. */
async function readSignaturePackets(armored: Uint8Array): Promise<openpgp.SignaturePacket[] | Failure> {
  const fail = (message: string): Failure => ({ ok: false, code: 'SIGNATURE_INVALID', message });
  const text = decodeText(armored);
  if (text === undefined)
    return fail('the signature is not UTF-8 text (an ASCII-armored signature is expected)');
  const blocks = armorBlocks(text);
  if (blocks.length === 0)
    return fail('no ASCII-armored OpenPGP signature (-----BEGIN PGP SIGNATURE-----) found');
  if (blocks[0]!.type === 'SIGNED MESSAGE') {
    return fail(
      'a cleartext-signed message (gpg --clearsign) signs text, not the exact bytes; use gpg --detach-sign',
    );
  }
  if (blocks[0]!.type !== 'SIGNATURE')
    return fail(`the armored block is a PGP ${blocks[0]!.type}, not a PGP SIGNATURE`);
  if (blocks.length > 1)
    return fail(`expected one armored PGP SIGNATURE block, found ${blocks.length} armored blocks`);
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: blocks[0]!.text, config: CONFIG });
  } catch (e) {
    return fail(`the armored signature does not parse: ${errorText(e)}`);
  }
  const packets = signature.packets.filterByTag(
    enums.packet.signature,
  ) as unknown as openpgp.SignaturePacket[];
  if (packets.length === 0) return fail('the armored block holds no signature packet this verifier can read');
  return packets;
}

async function verifyPacket(
  sig: openpgp.SignaturePacket,
  literal: object,
  keys: readonly openpgp.PublicKey[],
  now: Date,
): Promise<PacketVerdict> {
  const at = (stage: Stage, code: Failure['code'], message: string, fingerprint?: string): PacketVerdict => ({
    stage,
    result: { ok: false, code, message, ...(fingerprint === undefined ? {} : { fingerprint }) },
  });
  const issuerFpr = sig.issuerFingerprint ? hex(sig.issuerFingerprint) : undefined;
  const issuerKeyId = sig.issuerKeyID.bytes === '' ? undefined : sig.issuerKeyID.toHex().toLowerCase();
  const named = issuerFpr ?? issuerKeyId;

  // 1. Form: only binary-mode data signatures with a strong hash sign "exactly these bytes".
  if (sig.signatureType !== enums.signature.binary) {
    const type = `0x${(sig.signatureType ?? 0).toString(16).padStart(2, '0')}`;
    const why =
      sig.signatureType === enums.signature.text
        ? `a text-mode signature (type ${type}) signs normalised text, not the exact bytes; sign with gpg --detach-sign (without --textmode)`
        : `signature type ${type} is not a signature over data (binary mode, type 0x00 is required)`;
    return at(Stage.Format, 'SIGNATURE_INVALID', why, issuerFpr);
  }
  const hashAlgorithm = sig.hashAlgorithm ?? -1;
  if (!STRONG_HASHES.has(hashAlgorithm)) {
    const name = HASH_NAMES[hashAlgorithm] ?? `hash algorithm ${hashAlgorithm}`;
    return at(
      Stage.Format,
      'SIGNATURE_INVALID',
      `the signature uses ${name}; SHA-256 or stronger is required (e.g. gpg --digest-algo SHA256)`,
      issuerFpr,
    );
  }
  const created = sig.created;
  if (created === null) return at(Stage.Format, 'SIGNATURE_INVALID', 'the signature has no creation time');
  if (created.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    return at(
      Stage.Format,
      'SIGNATURE_INVALID',
      `the signature was made in the future (${created.toISOString()}; now is ${now.toISOString()})`,
      issuerFpr,
    );
  }
  if (named === undefined || /^0+$/.test(named)) {
    return at(
      Stage.Format,
      'SIGNATURE_INVALID',
      'the signature does not name its issuer (no issuer fingerprint or key ID)',
    );
  }

  // 2. Signer: the issuer must be a trusted primary key or subkey. A fingerprint, when given, must match in full.
  const candidates: Array<{ primary: openpgp.PublicKey; component: openpgp.PublicKey | openpgp.Subkey }> = [];
  for (const primary of keys) {
    for (const component of [primary, ...primary.subkeys]) {
      const matches =
        issuerFpr !== undefined
          ? component.getFingerprint().toLowerCase() === issuerFpr
          : component.getKeyID().toHex().toLowerCase() === issuerKeyId;
      if (matches) candidates.push({ primary, component });
    }
  }
  if (candidates.length === 0) {
    const which = issuerFpr !== undefined ? `key ${issuerFpr}` : `key ID ${issuerKeyId}`;
    const trustedList =
      keys.length === 0
        ? 'no OpenPGP key is trusted'
        : `trusted: ${keys.map((k) => k.getFingerprint().toLowerCase()).join(', ')}`;
    return at(
      Stage.Signer,
      'KEY_UNTRUSTED',
      `signed by ${which}, which is not a trusted key (${trustedList})`,
      issuerFpr,
    );
  }

  let best: PacketVerdict | undefined;
  for (const { primary, component } of candidates) {
    const verdict = await checkWithKey(sig, created, literal, primary, component, now);
    if (verdict.result.ok) return verdict;
    if (best === undefined || verdict.stage > best.stage) best = verdict;
  }
  return best!;
}

async function checkWithKey(
  sig: openpgp.SignaturePacket,
  created: Date,
  literal: object,
  primary: openpgp.PublicKey,
  component: openpgp.PublicKey | openpgp.Subkey,
  now: Date,
): Promise<PacketVerdict> {
  const fingerprint = primary.getFingerprint().toLowerCase();
  const componentFpr = component.getFingerprint().toLowerCase();
  const what =
    componentFpr === fingerprint ? `key ${fingerprint}` : `subkey ${componentFpr} of key ${fingerprint}`;
  const at = (stage: Stage, code: Failure['code'], message: string): PacketVerdict => ({
    stage,
    result: { ok: false, code, message, fingerprint },
  });

  // 3. Cryptography over exactly these bytes (binary mode). `date` lets openpgp.js also refuse an expired
  // signature; the future check above already allowed for clock skew, so give the same allowance here.
  try {
    await sig.verify(
      component.keyPacket,
      enums.signature.binary,
      literal,
      new Date(now.getTime() + CLOCK_SKEW_MS),
      true,
      CONFIG,
    );
  } catch (e) {
    return at(
      Stage.Cryptography,
      'SIGNATURE_INVALID',
      `the signature by ${what} does not verify over the data: ${errorText(e)}`,
    );
  }

  // 4. The key's state. Revocation counts whenever it happened (a stolen key can sign with any date);
  // expiry counts at the signature's creation time (SPEC §5: "then-expired").
  if (await primary.isRevoked(undefined, undefined, now, CONFIG)) {
    return at(Stage.KeyState, 'KEY_REVOKED', `${what} has been revoked`);
  }
  if (component !== primary && (await isSubkeyRevoked(component as openpgp.Subkey, now))) {
    return at(Stage.KeyState, 'KEY_REVOKED', `${what} has been revoked`);
  }
  if (component.getCreationTime() > created) {
    return at(
      Stage.Cryptography,
      'SIGNATURE_INVALID',
      `the signature (${created.toISOString()}) is older than ${what} (${component.getCreationTime().toISOString()})`,
    );
  }
  const expiry = await expirationOf(primary, component, now);
  if (expiry !== undefined && created.getTime() >= expiry.getTime()) {
    return at(
      Stage.KeyState,
      'KEY_EXPIRED',
      `${what} expired at ${expiry.toISOString()}, before the signature was made (${created.toISOString()})`,
    );
  }
  // Everything else about the key at signing time (valid self-signature and binding, key flags allow signing
  // data, acceptable algorithm): openpgp.js must pick this very key as the signing key at that moment.
  let signer: openpgp.PublicKey | openpgp.Subkey;
  try {
    signer = await primary.getSigningKey(component.getKeyID(), created, undefined, CONFIG);
  } catch (e) {
    const expiredAtSigning = await expirationOf(primary, component, created);
    if (expiredAtSigning !== undefined && created.getTime() >= expiredAtSigning.getTime()) {
      return at(
        Stage.KeyState,
        'KEY_EXPIRED',
        `${what} expired at ${expiredAtSigning.toISOString()}, before the signature was made (${created.toISOString()})`,
      );
    }
    return at(
      Stage.KeyState,
      'SIGNATURE_INVALID',
      `${what} was not valid for signing data when the signature was made (${created.toISOString()}): ${errorText(e)}`,
    );
  }
  if (signer.getFingerprint().toLowerCase() !== componentFpr) {
    return at(Stage.KeyState, 'SIGNATURE_INVALID', `${what} is not a signing key`);
  }
  return {
    stage: Stage.KeyState,
    result: { ok: true, fingerprint, signingKeyFingerprint: componentFpr, created },
  };
}

/** The earliest expiry of the primary key and (for a subkey) its binding, as the key's signatures state at `date`. */
async function expirationOf(
  primary: openpgp.PublicKey,
  component: openpgp.PublicKey | openpgp.Subkey,
  date: Date,
): Promise<Date | undefined> {
  const times: Array<Date | number | null> = [await primary.getExpirationTime(undefined, CONFIG)];
  if (component !== primary) times.push(await (component as openpgp.Subkey).getExpirationTime(date, CONFIG));
  const dates = times.filter((t): t is Date => t instanceof Date);
  return dates.length === 0 ? undefined : new Date(Math.min(...dates.map((d) => d.getTime())));
}

/** openpgp.js checks a subkey's revocations when given no binding signature; its types insist on one. */
function isSubkeyRevoked(subkey: openpgp.Subkey, now: Date): Promise<boolean> {
  return subkey.isRevoked(
    null as unknown as openpgp.SignaturePacket,
    null as unknown as openpgp.AnyKeyPacket,
    now,
    CONFIG,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

interface ArmorBlock {
  /** What follows "BEGIN PGP ", e.g. "SIGNATURE", "PUBLIC KEY BLOCK". */
  readonly type: string;
  /** The block from its BEGIN line to its END line, inclusive. */
  readonly text: string;
}

/** Every armored block in `text`, in order (a block without its END line runs to the end of the text). */
function armorBlocks(text: string): ArmorBlock[] {
  const blocks: ArmorBlock[] = [];
  const begin = /^-----BEGIN PGP ([A-Z0-9 ,/]+)-----[ \t]*\r?$/gm;
  let m: RegExpExecArray | null = begin.exec(text);
  while (m !== null) {
    const type = m[1]!;
    const endLine = `-----END PGP ${type}-----`;
    const endAt = text.indexOf(endLine, begin.lastIndex);
    const stop = endAt === -1 ? text.length : endAt + endLine.length;
    blocks.push({ type, text: text.slice(m.index, stop) });
    begin.lastIndex = stop;
    m = begin.exec(text);
  }
  return blocks;
}

/** OpenPGP binary data starts with a packet header: the top bit of the first byte is set (a UTF-8 BOM is text). */
function isBinaryPacketData(bytes: Uint8Array): boolean {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0 && !bom;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeText(input: string | Uint8Array): string | undefined {
  if (typeof input === 'string') return input;
  try {
    return utf8.decode(input);
  } catch {
    return undefined;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** openpgp.js error text without its generic prefixes. */
function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text
    .replace(
      /^(Error (during parsing|decrypting private key|generating keypair|reading|verifying signed message)[^:]*: )+/i,
      '',
    )
    .trim();
}
