/**
 * The private keys of a signed registry's roles (SPEC §11): Ed25519 PEM files as `keygen` writes them, named by
 * flags, else PEM text in AURION_TUF_<ROLE>_KEY. A passphrase-protected key takes --passphrase-file or
 * AURION_KEY_PASSPHRASE, as for `sign`.
 */
import type { Ed25519PrivateKey } from '../core/keys.js';
import { INPUT_LIMITS, readSmallFile } from './files.js';

export type TufRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

/** The environment variable holding a role's PEM key. */
export function tufKeyVariable(role: TufRole): string {
  return `AURION_TUF_${role.toUpperCase()}_KEY`;
}

/** Loads the key files; KEY_INVALID for one that does not load, IO_ERROR for one that cannot be read. */
export async function loadTufKeyFiles(
  files: readonly string[],
  passphrase: string | undefined,
): Promise<Ed25519PrivateKey[]> {
  const { loadPrivateKey } = await import('../core/keys.js');
  const keys: Ed25519PrivateKey[] = [];
  for (const file of files) {
    keys.push(loadPrivateKey(await readSmallFile(file, 'key', INPUT_LIMITS.key), passphrase, file));
  }
  return keys;
}

/** A role's key from its file, else from AURION_TUF_<ROLE>_KEY (empty counts as unset); undefined: neither. */
export async function loadTufRoleKey(
  role: TufRole,
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  passphrase: string | undefined,
): Promise<Ed25519PrivateKey | undefined> {
  if (file !== undefined) return (await loadTufKeyFiles([file], passphrase))[0];
  const name = tufKeyVariable(role);
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const { loadPrivateKey } = await import('../core/keys.js');
  return loadPrivateKey(new TextEncoder().encode(text), passphrase, name);
}
