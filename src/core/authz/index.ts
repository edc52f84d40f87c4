/**
 * Authorization bundles (SPEC §9) — the pure core. The API other modules (`run`, the orchestrator, library
 * users) call; these names and shapes are stable:
 *
 * - `checkAuthorization(envelope: Uint8Array, job: AuthorizationJob, trust: AuthorizerTrust,
 *   options?: { now?: Date; source?: string }): { id: string; signers: string[] }`
 *   `job` = `{ scopeId, target, pluginName, capabilities, riskClass }` (riskClass: the plugin's effective risk
 *   class; its threshold applies). Throws AurionError AUTHORIZATION_MALFORMED (3, with a JSON pointer),
 *   REQUEST_INVALID (3, the job's target), AUTHORIZATION_DENIED (1, the message names the first failed rule in
 *   SPEC's order: "signatures and threshold", "time window", "scope", "plugin", "capabilities", "target",
 *   "exclude").
 * - `AuthorizerTrust` = `{ authorizers: Authorizer[]; revoked: Set<string>; thresholds: { Low?, Medium?, High? } }`,
 *   `Authorizer` = `{ keyId, publicKey (raw 32 bytes), name?, scopes (globs), maxRiskClass, expires?, source }`.
 *   Build it from files with `loadAuthorizerTrust` (src/io/authorizers.ts).
 * - `createAuthorization(input: AuthorizationInput, key: Ed25519PrivateKey, options?): Uint8Array` — a new
 *   signed envelope; `addAuthorizationSignature(envelope, key): { envelope, added }` — a co-signature.
 * - `parseAuthorization(bytes, source)`, `pae(type, payload)`, `parseTarget`, `entryMatches` for tools.
 */

export { decodeStrictBase64 } from '../base64.js';
export { formatTime, parseDuration, parseRfc3339, parseTimeArgument } from '../time.js';
export {
  type AuthorizationGrant,
  type AuthorizationJob,
  type CheckOptions,
  checkAuthorization,
  judgeSignatures,
  parseJobTarget,
  type SignatureFinding,
} from './check.js';
export {
  AUTHORIZATION_PAYLOAD_TYPE,
  type AuthorizationEnvelope,
  type AuthorizationStatement,
  type DsseSignature,
  MAX_ENVELOPE_SIZE,
  type ParsedAuthorization,
  pae,
  parseAuthorization,
  serializeAuthorizationEnvelope,
} from './envelope.js';
export {
  type AuthorizationInput,
  addAuthorizationSignature,
  type CreateOptions,
  createAuthorization,
} from './sign.js';
export {
  type AddressRange,
  entryMatches,
  type HostTarget,
  normalizeHostName,
  type ParsedTarget,
  parseTarget,
  type Target,
  type UrlTarget,
  type WildcardTarget,
} from './target.js';
export {
  type Authorizer,
  type AuthorizerPolicyContext,
  type AuthorizerTrust,
  assertAuthorizerTrust,
  authorizerFromPem,
  DEFAULT_AUTHORIZER_RULES,
  mergeAuthorizerTrust,
  parseAuthorizerPolicy,
  thresholdFor,
} from './trust.js';
