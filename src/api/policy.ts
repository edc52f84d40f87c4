/** `aurion-plugin/policy`: trust policies (SPEC §6) — parsing, the rules each signer must pass, loading. */
export {
  effectiveRiskClass,
  evaluateRules,
  globMatch,
  isRevoked,
  mergeTrust,
  type PolicyContext,
  parseTrustPolicy,
  type TrustedKey,
  type TrustedPgpKey,
  type TrustPolicy,
  type TrustRules,
  trustedKeyFromPem,
  trustFromPgpKeyring,
} from '../core/policy.js';
export { loadTrust, loadTrustPolicyFile, type TrustSources } from '../io/trust.js';
