/**
 * Capability gating of SPEC §8/§9 for one job: an effective risk class of Medium or High needs an
 * authorization that covers the job; Low needs none, but one given is still checked and a failing one refused.
 * The check itself is src/core/authz's checkAuthorization, the same as `authz verify`'s.
 */
import { checkAuthorization } from '../core/authz/check.js';
import type { AuthorizerTrust } from '../core/authz/trust.js';
import type { JobRequest } from '../core/job/request.js';
import { type Manifest, type RiskClass, requiresAuthorization } from '../core/types.js';
import { AurionError } from '../errors.js';

/** Authorization material for a run. */
export interface RunAuthorization {
  /** The envelope from `--authorization FILE`: it wins over the request's authorizationBundle. */
  readonly envelope?: Uint8Array;
  /** Names the envelope in messages (e.g. the file). */
  readonly source?: string;
  /** The trusted authorizers (src/io/authorizers.ts loadAuthorizerTrust); needed when an envelope is checked. */
  readonly trust?: AuthorizerTrust;
}

/** The authorization that covered the job: its id and the key ids of the trusted signers that counted. */
export interface AuthorizationVerdict {
  readonly id: string;
  readonly signers: readonly string[];
}

export interface GateInput {
  readonly manifest: Manifest;
  readonly effectiveRiskClass: RiskClass;
  readonly request: JobRequest;
  readonly authorization?: RunAuthorization | undefined;
  readonly now: Date;
}

/** The envelope a job carries: the flag's, else the request's authorizationBundle, else none. */
export function envelopeOf(
  request: JobRequest,
  authorization: RunAuthorization | undefined,
): { bytes: Uint8Array; source: string } | undefined {
  if (authorization?.envelope !== undefined) {
    return { bytes: authorization.envelope, source: authorization.source ?? 'the authorization' };
  }
  if (request.authorizationBundle === '') return undefined;
  return {
    bytes: Buffer.from(request.authorizationBundle, 'utf8'),
    source: "the request's authorizationBundle",
  };
}

/**
 * null when no authorization was needed or given; else the covering authorization. Throws
 * AUTHORIZATION_REQUIRED (none where one is needed), USAGE (one to check but no authorizer trust), and what
 * checkAuthorization throws (AUTHORIZATION_MALFORMED, AUTHORIZATION_DENIED, REQUEST_INVALID for the target).
 */
export function gateJob(input: GateInput): AuthorizationVerdict | null {
  const { manifest, effectiveRiskClass, request } = input;
  const given = envelopeOf(request, input.authorization);
  if (given === undefined) {
    if (!requiresAuthorization(effectiveRiskClass)) return null;
    throw new AurionError(
      'AUTHORIZATION_REQUIRED',
      `${manifest.name} has effective risk class ${effectiveRiskClass}: it runs only with an authorization that covers this job`,
      {
        hint: "give --authorization FILE (see aurion-plugin authz create) or put it in the request's authorizationBundle",
      },
    );
  }
  const trust = input.authorization?.trust;
  if (trust === undefined) {
    throw new AurionError('USAGE', `no authorizer trust to check ${given.source} against`, {
      hint: 'give --trusted-authorizer KEY.pub, or a --trust-policy with an "authorizers" list',
    });
  }
  const grant = checkAuthorization(
    given.bytes,
    {
      scopeId: request.scopeId,
      target: request.target,
      pluginName: manifest.name,
      capabilities: manifest.capabilities,
      riskClass: effectiveRiskClass,
    },
    trust,
    { now: input.now, source: given.source },
  );
  return { id: grant.id, signers: grant.signers };
}
