/**
 * `aurion-plugin/authz`: the building blocks of authorization bundles (SPEC §9) — the DSSE envelope parser, the
 * pre-authentication encoding its signatures cover, and the job-target parser of the coverage rules. The
 * operations (createAuthorization, addAuthorizationSignature, checkAuthorization) are at the package root.
 */
export {
  AUTHORIZATION_PAYLOAD_TYPE,
  type ParsedAuthorization,
  pae,
  parseAuthorization,
  parseTarget,
} from '../core/authz/index.js';
