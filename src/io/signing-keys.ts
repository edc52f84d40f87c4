/**
 * Signing keys for library users and commands alike (SPEC §7 `sign`, `keygen`): key files named by the
 * caller, else PEM text in environment variables; passphrases from a file, else AURION_KEY_PASSPHRASE.
 */
import type { Ed25519PrivateKey } from '../core/keys.js';
import type { PgpPrivateKey } from '../core/pgp.js';
import { INPUT_LIMITS, readSmallFile } from './files.js';

export interface SigningKeySources {
  /** Ed25519 PKCS#8 PEM file; default: the PEM text in AURION_SIGNING_KEY. */
  readonly keyFile?: string;
  /** Armored OpenPGP private key file; default: AURION_PGP_KEY. */
  readonly pgpKeyFile?: string;
  /** Passphrase file; default: AURION_KEY_PASSPHRASE. */
  readonly passphraseFile?: string;
  /** Where the variables are read (the CLI passes process.env). */
  readonly env: NodeJS.ProcessEnv;
}

export interface SigningKeys {
  readonly key?: Ed25519PrivateKey;
  readonly pgpKey?: PgpPrivateKey;
}

/** Key text from a file (IO_ERROR when it cannot be read) or from an environment variable; empty is unset. */
async function keySource(
  file: string | undefined,
  envName: string,
  env: NodeJS.ProcessEnv,
): Promise<{ bytes: Uint8Array; source: string } | undefined> {
  if (file !== undefined) return { bytes: await readSmallFile(file, 'key', INPUT_LIMITS.key), source: file };
  const text = env[envName];
  return text === undefined || text === ''
    ? undefined
    : { bytes: new TextEncoder().encode(text), source: envName };
}

/** The passphrase from `file`, else AURION_KEY_PASSPHRASE (empty counts as unset), else none. */
export async function resolvePassphrase(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (file !== undefined) {
    const { passphraseFromFile } = await import('../core/keys.js');
    return passphraseFromFile(await readSmallFile(file, 'passphrase file', INPUT_LIMITS.passphrase), file);
  }
  const fromEnv = env['AURION_KEY_PASSPHRASE'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * The signing keys the sources name. Explicit key files replace the environment entirely, so a CI-wide
 * variable never adds a signature the caller did not ask for. KEY_INVALID for a key that does not load.
 */
export async function loadSigningKeys(sources: SigningKeySources): Promise<SigningKeys> {
  const fromFiles = sources.keyFile !== undefined || sources.pgpKeyFile !== undefined;
  const env = fromFiles ? {} : sources.env;
  const ed = await keySource(sources.keyFile, 'AURION_SIGNING_KEY', env);
  const pgpSource = await keySource(sources.pgpKeyFile, 'AURION_PGP_KEY', env);
  if (ed === undefined && pgpSource === undefined) return {};
  const passphrase = await resolvePassphrase(sources.passphraseFile, sources.env);
  let key: Ed25519PrivateKey | undefined;
  if (ed !== undefined) {
    const { loadPrivateKey } = await import('../core/keys.js');
    key = loadPrivateKey(ed.bytes, passphrase, ed.source);
  }
  let pgpKey: PgpPrivateKey | undefined;
  if (pgpSource !== undefined) {
    const pgp = await import('../core/pgp.js');
    pgpKey = await pgp.loadPgpPrivateKey(pgpSource.bytes, passphrase, pgpSource.source);
  }
  return { ...(key === undefined ? {} : { key }), ...(pgpKey === undefined ? {} : { pgpKey }) };
}
