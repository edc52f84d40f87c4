/**
 * OpenPGP verification (SPEC §5): a detached armored signature over exact bytes, against trusted keys, failing
 * closed with the code of the check that failed; and what a signature says about itself, for inspect.
 * openpgp.js is large: only ever import this module lazily (`await import()`).
 */
import * as openpgp from 'openpgp';
import { AurionError, type ErrorCode } from '../../errors.js';
import { armorBlocks, decodeText, hex } from './armor.js';
import { CONFIG, errorText } from './config.js';
import { mergeCopies, type PgpPublicKey } from './keys.js';

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

/** What a signature packet says about itself, as inspect shows it; nothing here is verified. */
export interface PgpSignatureFacts {
  /** The issuer key ID (16 hex digits as openpgp.js writes them), null when absent or zero. */
  readonly keyId: string | null;
  /** The issuer fingerprint, lowercase hex, when the packet names one. */
  readonly fingerprint: string | null;
  /** Creation time, ISO 8601. */
  readonly created: string | null;
  /** Hash algorithm name in capitals (e.g. SHA512). */
  readonly hash: string | null;
  readonly mode: 'binary' | 'text' | 'other';
}

/**
 * The facts of the first signature packet of an armored signature, for display only (verification is
 * verifyDetached); undefined when the block holds no packet. Throws openpgp.js's error when it does not parse.
 */
export async function describeSignature(armoredSignature: string): Promise<PgpSignatureFacts | undefined> {
  const signature = await openpgp.readSignature({ armoredSignature });
  const packet: openpgp.SignaturePacket | undefined = signature.packets[0];
  if (packet === undefined) return undefined;
  const hash = packet.hashAlgorithm === null ? null : enums.read(enums.hash, packet.hashAlgorithm);
  const mode =
    packet.signatureType === enums.signature.binary
      ? 'binary'
      : packet.signatureType === enums.signature.text
        ? 'text'
        : 'other';
  const keyId = packet.issuerKeyID?.toHex() ?? null;
  return {
    keyId: keyId === '0000000000000000' ? null : keyId,
    fingerprint: packet.issuerFingerprint === null ? null : hex(packet.issuerFingerprint),
    created: packet.created === null ? null : packet.created.toISOString(),
    hash: typeof hash === 'string' ? hash.toUpperCase() : null,
    mode,
  };
}
