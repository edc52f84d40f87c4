/**
 * Every OpenPGP function and type (keys.ts, sign.ts, verify.ts), for the library's lazy entry (src/pgp-lazy.ts)
 * and the crypto subpath. Importing it loads openpgp.js: only ever `await import()` it.
 */
export {
  type GeneratePgpOptions,
  generatePgpKeyPair,
  loadPgpKeyring,
  loadPgpPrivateKey,
  loadPgpPublicKeys,
  mergePgpKeys,
  type PgpKeyPair,
  type PgpKeyring,
  type PgpPrivateKey,
  type PgpPublicKey,
  type PgpRevocation,
  revocationsOf,
} from './keys.js';
export { signDetached } from './sign.js';
export {
  CLOCK_SKEW_MS,
  describeSignature,
  type PgpSignatureFacts,
  type PgpVerification,
  verifyDetached,
} from './verify.js';
