/**
 * The one openpgp.js configuration every OpenPGP module here passes (src/core/pgp/), and openpgp.js's error text
 * made readable. Like everything that imports openpgp.js, only ever loaded lazily (`await import()`).
 */
import * as openpgp from 'openpgp';

const { enums } = openpgp;

/**
 * Pinned settings (never openpgp.js's mutable global defaults): v4 keys so that GnuPG 2.2 reads them, no AEAD
 * key protection (GnuPG 2.2 cannot decrypt it), iterated+salted S2K, SHA-512 preferred.
 */
export const CONFIG: openpgp.Config = {
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

/** openpgp.js error text without its generic prefixes. */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text
    .replace(
      /^(Error (during parsing|decrypting private key|generating keypair|reading|verifying signed message)[^:]*: )+/i,
      '',
    )
    .trim();
}
