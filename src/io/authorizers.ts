/**
 * Authorizer trust from disk (SPEC §9): `--trusted-authorizer FILE` and the trust policy's `authorizers`,
 * `revoked` and `authorization_thresholds` become one AuthorizerTrust. The I/O edge of
 * src/core/authz/trust.ts, which stays pure.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  type AuthorizerTrust,
  authorizerFromPem,
  mergeAuthorizerTrust,
  parseAuthorizerPolicy,
} from '../core/authz/trust.js';
import { AurionError } from '../errors.js';
import { readSmallFile } from './files.js';

export interface AuthorizerSources {
  /** `--trusted-authorizer FILE` (repeatable): Ed25519 SPKI PEM files, default rules. */
  readonly trustedAuthorizers?: readonly string[] | undefined;
  /** `--trust-policy FILE`: its `authorizers`, `revoked` and `authorization_thresholds`. */
  readonly trustPolicy?: string | undefined;
}

const KEY_FILE_LIMIT = 1024 * 1024;

/**
 * Loads authorizer trust. The policy comes first, so its restrictions win for a key also given as a flag.
 * USAGE (2) when there is no authorizer at all (no flag, and no policy or a policy without `authorizers`):
 * checking an authorization against nothing would be meaningless. POLICY_INVALID / KEY_INVALID (3),
 * IO_ERROR (4) for bad or unreadable files.
 */
export async function loadAuthorizerTrust(sources: AuthorizerSources): Promise<AuthorizerTrust> {
  const parts: AuthorizerTrust[] = [];
  if (sources.trustPolicy !== undefined) {
    const path = sources.trustPolicy;
    const bytes = await readSmallFile(path, 'trust policy', KEY_FILE_LIMIT);
    const base = dirname(resolve(path));
    parts.push(
      await parseAuthorizerPolicy(bytes, {
        source: path,
        readKeyFile: (file) =>
          readSmallFile(isAbsolute(file) ? file : resolve(base, file), 'public key', KEY_FILE_LIMIT),
      }),
    );
  }
  const flagged = [];
  for (const file of sources.trustedAuthorizers ?? []) {
    flagged.push(authorizerFromPem(await readSmallFile(file, 'authorizer key', KEY_FILE_LIMIT), file));
  }
  parts.push({ authorizers: flagged, revoked: new Set(), thresholds: {} });
  const trust = mergeAuthorizerTrust(parts);
  if (trust.authorizers.length === 0) {
    throw new AurionError(
      'USAGE',
      sources.trustPolicy === undefined
        ? 'no authorizer trust given: an authorization can only be checked against trusted authorizer keys'
        : `the trust policy ${sources.trustPolicy} lists no authorizers`,
      {
        hint: 'give --trusted-authorizer KEY.pub, or a --trust-policy with an "authorizers" list (docs/authorization.md)',
      },
    );
  }
  return trust;
}
