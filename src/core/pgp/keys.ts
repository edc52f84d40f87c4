/**
 * OpenPGP keys for container bundles (SPEC §5): v4 Ed25519 keys that GnuPG 2.2 imports, public keys and
 * keyrings (copies merged, revocation certificates applied), private keys decrypted and checked for signing.
 * Signing is sign.ts, verification verify.ts, the armor and text level armor.ts, openpgp.js's settings
 * config.ts. openpgp.js is large: only ever import these modules lazily (`await import('./pgp/keys.js')`), on
 * the paths that need them.
 */
import * as openpgp from 'openpgp';
import { AurionError } from '../../errors.js';
import { armorBlocks, decodeText, hex, isBinaryPacketData } from './armor.js';
import { CONFIG, errorText } from './config.js';

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

const { enums } = openpgp;

const PASSPHRASE_HINT = 'give the passphrase with --passphrase-file FILE or AURION_KEY_PASSPHRASE';

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
export async function mergeCopies(keys: readonly openpgp.PublicKey[]): Promise<openpgp.PublicKey[]> {
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
