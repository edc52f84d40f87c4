/**
 * Capability gating of SPEC §8/§9 for one job: an effective risk class of Medium or High needs an
 * authorization that covers the job; Low needs none, but one given is still checked and a failing one refused.
 */
import type { JobRequest } from '../core/job/request.js';
import { type Manifest, type RiskClass, requiresAuthorization } from '../core/types.js';
import { AurionError } from '../errors.js';

export interface AuthorizationInput {
  /** The envelope from `--authorization FILE`: it wins over the request's authorizationBundle. */
  readonly envelope?: Uint8Array;
  /** Names the envelope in messages (e.g. the file). */
  readonly source?: string;
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
  readonly requestSource: string;
  readonly authorization?: AuthorizationInput;
  readonly now: Date;
}

/** null when no authorization was needed or given; throws AUTHORIZATION_* when the job may not run. */
export async function gateJob(input: GateInput): Promise<AuthorizationVerdict | null> {
  const given =
    input.authorization?.envelope ??
    (input.request.authorizationBundle === ''
      ? undefined
      : Buffer.from(input.request.authorizationBundle, 'utf8'));
  if (given === undefined) {
    if (!requiresAuthorization(input.effectiveRiskClass)) return null;
    throw new AurionError(
      'AUTHORIZATION_REQUIRED',
      `${input.manifest.name} has effective risk class ${input.effectiveRiskClass}: it runs only with an authorization that covers this job`,
      {
        hint: "give --authorization FILE (see aurion-plugin authz create) or put it in the request's authorizationBundle",
      },
    );
  }
  // Checking an authorization comes with the authorization bundles (SPEC §9); until then none is accepted.
  throw new AurionError('UNSUPPORTED', 'this build cannot check authorizations yet; nothing was run');
}
