/**
 * `aurion-plugin/crypto`: keys and signatures (SPEC §5) — strict Ed25519, key files and key ids, and the
 * OpenPGP functions (openpgp.js is loaded on first use, so importing this entry stays cheap).
 */
export { publicKeyProblem, type RawPublicKey, signEd25519, verifyEd25519 } from '../core/ed25519.js';
export {
  type Ed25519PrivateKey,
  type Ed25519PublicKey,
  type GeneratedKeyPair,
  generateEd25519KeyPair,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
  publicKeyFromRaw,
  publicKeyPem,
} from '../core/keys.js';
export type {
  GeneratePgpOptions,
  PgpKeyPair,
  PgpKeyring,
  PgpPrivateKey,
  PgpPublicKey,
  PgpRevocation,
  PgpVerification,
} from '../core/pgp.js';
export {
  generatePgpKeyPair,
  loadPgpKeyring,
  loadPgpPrivateKey,
  loadPgpPublicKeys,
  mergePgpKeys,
  signDetached,
  verifyDetached,
} from '../pgp-lazy.js';
