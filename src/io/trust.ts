/**
 * Trust material from disk: the trust flags (`--trust-policy`, `--trusted-key`, `--pgp-keyring`) become one
 * TrustPolicy. This is the I/O edge of src/core/policy.ts, which stays pure. Loaded once per command, so a
 * batch of bundles never re-reads or re-parses keys.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  mergeTrust,
  parseTrustPolicy,
  type TrustPolicy,
  trustedKeyFromPem,
  trustFromPgpKeyring,
} from '../core/policy.js';
import { INPUT_LIMITS, readSmallFile, readSmallFileIfExists } from './files.js';

export interface TrustSources {
  readonly trustPolicy?: string | undefined;
  readonly trustedKeys?: readonly string[] | undefined;
  readonly pgpKeyrings?: readonly string[] | undefined;
}

/** True when any trust flag was given. */
export function hasTrustSources(sources: TrustSources): boolean {
  return (
    sources.trustPolicy !== undefined ||
    (sources.trustedKeys ?? []).length > 0 ||
    (sources.pgpKeyrings ?? []).length > 0
  );
}

/** Reads and parses a trust policy file; its `public_key_file` paths are relative to the policy's folder. */
export async function loadTrustPolicyFile(path: string): Promise<TrustPolicy> {
  return parsePolicyFile(path, await readSmallFile(path, 'trust policy', INPUT_LIMITS.trustPolicy));
}

/**
 * A trust policy that may be absent (a directory registry's trust-policy.json): undefined only when nothing at
 * all is at `path`. Anything there that cannot be read — a dangling link, a directory, a FIFO, a device, a file
 * without read permission, more than the size limit — is IO_ERROR, and one that does not parse POLICY_INVALID:
 * never "no policy" (SPEC §7).
 */
export async function loadOptionalTrustPolicyFile(path: string): Promise<TrustPolicy | undefined> {
  const bytes = await readSmallFileIfExists(path, 'trust policy', INPUT_LIMITS.trustPolicy);
  return bytes === undefined ? undefined : parsePolicyFile(path, bytes);
}

function parsePolicyFile(path: string, bytes: Uint8Array): Promise<TrustPolicy> {
  const base = dirname(resolve(path));
  return parseTrustPolicy(bytes, {
    source: path,
    readKeyFile: (file) =>
      readSmallFile(isAbsolute(file) ? file : resolve(base, file), 'public key', INPUT_LIMITS.key),
  });
}

/**
 * Builds the trust material of one command from its flags: the policy first (its entries win for a key that
 * is also given as a shorthand), then every `--trusted-key`, then every `--pgp-keyring`. Returns undefined when
 * no flag was given; the command decides whether that is an error.
 */
export async function loadTrust(sources: TrustSources): Promise<TrustPolicy | undefined> {
  if (!hasTrustSources(sources)) return undefined;
  const parts: TrustPolicy[] = [];
  if (sources.trustPolicy !== undefined) parts.push(await loadTrustPolicyFile(sources.trustPolicy));
  const keys = [];
  for (const file of sources.trustedKeys ?? []) {
    keys.push(trustedKeyFromPem(await readSmallFile(file, 'trusted key', INPUT_LIMITS.key), file));
  }
  parts.push({ keys, pgpKeys: [], revoked: new Set(), riskClassOverrides: new Map() });
  // Bytes, not text: a keyring may be binary (`gpg --export`). Copies of one key across keyrings (and the
  // policy) are merged by mergeTrust, with every revocation certificate applied.
  for (const file of sources.pgpKeyrings ?? []) {
    parts.push(
      await trustFromPgpKeyring(await readSmallFile(file, 'OpenPGP keyring', INPUT_LIMITS.key), file),
    );
  }
  return mergeTrust(parts);
}
