/**
 * The one Ed25519 signer and verifier (RFC 8032, pure Ed25519; SPEC §5). The curve arithmetic is node:crypto's
 * (native OpenSSL, about 14x faster than pure JavaScript here: docs/signing.md). OpenSSL alone is not strict
 * enough: it accepts any message for a small-order public key such as the identity point. So the encodings are
 * checked here first: S < L, R and A canonical, A not one of the eight small-order points.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/** The field prime p = 2^255 - 19. */
const P = 2n ** 255n - 19n;
/** The curve constant d = -121665/121666 mod p. */
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;

/**
 * The eight points of small order (the torsion subgroup, identity included), in their canonical encodings.
 * After the canonical-encoding check these are the only encodings of small-order points (libsodium's list
 * also holds non-canonical ones, which are refused earlier here).
 */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity (order 1)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4
  '0000000000000000000000000000000000000000000000000000000000000080', // order 4
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', // order 8
].map((h) => Buffer.from(h, 'hex'));

/**
 * p and L (the order of the prime-order subgroup, 2^252 + 27742317777372353535851937790883648493) as 32
 * little-endian bytes: the checks made for every signature compare bytes, most significant
 * first (BigInt arithmetic there was a visible part of verifying many small bundles: docs/performance.md).
 */
const P_BYTES = Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex');
const L_BYTES = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');

/** Compares 32-byte little-endian numbers (the top bit of `a` ignored when `maskTop`): <0, 0 or >0. */
function compareLittleEndian(a: Uint8Array, b: Uint8Array, maskTop: boolean): number {
  for (let i = 31; i >= 0; i--) {
    const x = i === 31 && maskTop ? a[i]! & 0x7f : a[i]!;
    if (x !== b[i]) return x - b[i]!;
  }
  return 0;
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw 32-byte key follows. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

/** A public key as keys.ts loads it: the raw bytes and node:crypto's key object for the same bytes. */
export interface RawPublicKey {
  readonly raw: Uint8Array;
  readonly keyObject: KeyObject;
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** y of a point encoding (the sign bit of x cleared). */
function yOf(encoding: Uint8Array): bigint {
  return littleEndian(encoding) & ((1n << 255n) - 1n);
}

/**
 * RFC 8032 §5.1.3's decoding rules that do not need a square root: y < p, and no sign bit on x = 0 (x is 0
 * exactly when y = 1 or y = p - 1). A 32-byte string passing this is the one encoding of its point, if any.
 */
export function isCanonicalEncoding(encoding: Uint8Array): boolean {
  if (encoding.length !== 32) return false;
  const vsP = compareLittleEndian(encoding, P_BYTES, true);
  if (vsP >= 0) return false; // y >= p
  if ((encoding[31]! & 0x80) === 0) return true;
  // The sign bit is set, so x must not be 0: y is neither 1 nor p - 1 (which differs from p in byte 0 only).
  const middle = encoding.subarray(1, 31);
  const yIsOne = encoding[0] === 0x01 && middle.every((b) => b === 0x00) && encoding[31] === 0x80;
  const yIsPMinus1 = encoding[0] === 0xec && middle.every((b) => b === 0xff) && encoding[31] === 0xff;
  return !yIsOne && !yIsPMinus1;
}

/** S < L for a 32-byte little-endian S (RFC 8032 §5.1.7 refuses any other S: it would make signatures malleable). */
export function isReducedScalar(s: Uint8Array): boolean {
  return s.length === 32 && compareLittleEndian(s, L_BYTES, false) < 0;
}

/** True for the canonical encodings of the eight small-order points. */
export function isSmallOrderEncoding(encoding: Uint8Array): boolean {
  return (
    encoding.length === 32 && SMALL_ORDER.some((point) => point[0] === encoding[0] && point.equals(encoding))
  );
}

/**
 * Whether a canonical encoding names a curve point: x^2 = (y^2 - 1) / (d y^2 + 1) must be a square mod p,
 * i.e. u*v a square (v is never 0: -1/d is not a square). One exponentiation, ~0.15 ms: run at key load only.
 */
function isOnCurve(encoding: Uint8Array): boolean {
  const y = yOf(encoding);
  const y2 = (y * y) % P;
  const u = (y2 - 1n + P) % P;
  const v = (D * y2 + 1n) % P;
  const legendre = modPow((u * v) % P, (P - 1n) / 2n, P);
  return legendre === 0n || legendre === 1n;
}

/**
 * Why 32 bytes are not an acceptable Ed25519 public key (a phrase to follow "the key ..."), or undefined when
 * they are: the length, a canonical encoding, not of small order, a point on the curve.
 */
export function publicKeyProblem(raw: Uint8Array): string | undefined {
  if (raw.length !== PUBLIC_KEY_LENGTH) return `is ${raw.length} bytes long, not ${PUBLIC_KEY_LENGTH}`;
  if (!isCanonicalEncoding(raw)) {
    return 'is a non-canonical point encoding (y >= p, or x = 0 with the sign bit set)';
  }
  if (isSmallOrderEncoding(raw)) {
    return 'is a point of small order (such as the identity point), for which signatures on any message verify';
  }
  if (!isOnCurve(raw)) return 'is not a point on the Ed25519 curve';
  return undefined;
}

/** node:crypto's key object for 32 raw public-key bytes (no checks: see publicKeyProblem). */
export function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * Key objects for raw keys seen recently: making one costs more than a verification, and a verifier checks
 * many signatures against few keys. Bounded, oldest dropped first.
 */
const recentKeyObjects = new Map<string, KeyObject>();
const RECENT_KEY_OBJECTS = 64;

function cachedKeyObject(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw).toString('hex');
  let key = recentKeyObjects.get(id);
  if (key === undefined) {
    key = publicKeyObject(raw);
    if (recentKeyObjects.size >= RECENT_KEY_OBJECTS) {
      recentKeyObjects.delete(recentKeyObjects.keys().next().value!);
    }
    recentKeyObjects.set(id, key);
  }
  return key;
}

/**
 * The strict checks of RFC 8032 that OpenSSL does not make, before it may see a signature: the right lengths,
 * A canonical and not of small order, R canonical, S < L.
 */
function strictEncodings(raw: Uint8Array, signature: Uint8Array): boolean {
  if (raw.length !== PUBLIC_KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
  if (!isCanonicalEncoding(raw) || isSmallOrderEncoding(raw)) return false;
  if (!isCanonicalEncoding(signature.subarray(0, 32))) return false;
  return isReducedScalar(signature.subarray(32));
}

/**
 * Strict RFC 8032 verification of an Ed25519 signature; false for anything that is not a valid signature of
 * `message` by `publicKey` (never throws on bad input). `publicKey` is 32 raw bytes or a loaded key (whose
 * key object is then used as is).
 */
export function verifyEd25519(
  publicKey: Uint8Array | RawPublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const raw = publicKey instanceof Uint8Array ? publicKey : publicKey.raw;
  if (!strictEncodings(raw, signature)) return false;
  try {
    // OpenSSL decodes A (rejecting points off the curve), recomputes R from S and h, and compares the
    // canonical encoding with the R bytes: the cofactorless equation of RFC 8032 §5.1.7.
    const key = publicKey instanceof Uint8Array ? cachedKeyObject(raw) : publicKey.keyObject;
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/**
 * verifyEd25519 with OpenSSL's part on libuv's thread pool: the same checks and the same answers, but a
 * verifier of many bundles keeps its main thread for reading and parsing while signatures are checked on the
 * other core (docs/performance.md).
 */
export function verifyEd25519Async(
  publicKey: Uint8Array | RawPublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const raw = publicKey instanceof Uint8Array ? publicKey : publicKey.raw;
  if (!strictEncodings(raw, signature)) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      const key = publicKey instanceof Uint8Array ? cachedKeyObject(raw) : publicKey.keyObject;
      verify(null, message, key, signature, (error, ok) => resolve(error === null && ok));
    } catch {
      resolve(false);
    }
  });
}

/** Signs `message` (pure Ed25519: deterministic, the same key and message give the same 64 bytes). */
export function signEd25519(key: { readonly keyObject: KeyObject }, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, key.keyObject));
}
