/**
 * Does an authorization cover a job (SPEC §9)? One function, used by `authz verify`, `run` and library
 * callers (the orchestrator). Rules are checked in SPEC's order — signatures and threshold, time window,
 * scope, plugin, capabilities, target, exclude — and a denial names the first that failed.
 */

import { AurionError } from '../../errors.js';
import { decodeStrictBase64 } from '../base64.js';
import { verifyEd25519 } from '../ed25519.js';
import { globMatch } from '../policy.js';
import { CAPABILITY_RISK, type Capability, type RiskClass, riskRank } from '../types.js';
import { AUTHORIZATION_PAYLOAD_TYPE, type ParsedAuthorization, pae, parseAuthorization } from './envelope.js';
import { entryMatches, parseTarget, type Target } from './target.js';
import { type AuthorizerTrust, assertAuthorizerTrust, thresholdFor } from './trust.js';

/** The job an authorization is checked against. */
export interface AuthorizationJob {
  /** The job's scope (engagement) id; must equal the statement's `scope_id`. */
  readonly scopeId: string;
  /** The job's target: a host name, an IP address, a CIDR range or an http(s) URL (never a wildcard). */
  readonly target: string;
  readonly pluginName: string;
  /** The plugin's capabilities; its Medium and High ones must all be listed by the authorization. */
  readonly capabilities: readonly Capability[];
  /** The class whose threshold applies: the plugin's effective risk class (or the highest capability's). */
  readonly riskClass: RiskClass;
}

export interface CheckOptions {
  /** The instant to judge at (default: now). */
  readonly now?: Date;
  /** What to call the envelope in messages (a path); default `envelope`. */
  readonly source?: string;
}

export interface AuthorizationGrant {
  /** The statement's id. */
  readonly id: string;
  /** Key ids of the distinct trusted authorizers whose signatures counted, in envelope order. */
  readonly signers: string[];
}

/** What became of one signature of the envelope. */
export interface SignatureFinding {
  readonly keyId: string;
  /** `counted`, or why not. */
  readonly verdict:
    | 'counted'
    | 'duplicate'
    | 'unknown key'
    | 'bad signature'
    | 'revoked'
    | 'expired'
    | 'scope not allowed'
    | 'risk class not allowed';
  readonly message: string;
}

/** Judges every signature of a parsed authorization against the trust given (SPEC §9 "Trust"). */
export function judgeSignatures(
  parsed: ParsedAuthorization,
  trust: AuthorizerTrust,
  riskClass: RiskClass,
  now: Date,
): SignatureFinding[] {
  const message = pae(AUTHORIZATION_PAYLOAD_TYPE, parsed.payloadBytes);
  const counted = new Set<string>();
  return parsed.envelope.signatures.map(({ keyid, sig }): SignatureFinding => {
    const authorizer = trust.authorizers.find((a) => a.keyId === keyid);
    const who = `key ${keyid}${authorizer?.name === undefined ? '' : ` (${authorizer.name})`}`;
    const finding = (verdict: SignatureFinding['verdict'], text: string) => ({
      keyId: keyid,
      verdict,
      message: `${who} ${text}`,
    });
    if (counted.has(keyid)) return finding('duplicate', 'has already been counted');
    if (authorizer === undefined) return finding('unknown key', 'is not a trusted authorizer');
    if (!verifyEd25519(authorizer.publicKey, message, decodeStrictBase64(sig)!)) {
      return finding('bad signature', 'is named by a signature that does not verify');
    }
    if (trust.revoked.has(keyid)) return finding('revoked', 'is revoked by the trust policy');
    if (authorizer.expires !== undefined && now.getTime() >= authorizer.expires.getTime()) {
      return finding('expired', `expired at ${authorizer.expires.toISOString()} (${authorizer.source})`);
    }
    if (!authorizer.scopes.some((glob) => globMatch(glob, parsed.statement.scope_id))) {
      return finding(
        'scope not allowed',
        `may authorize only scopes ${authorizer.scopes.join(', ')}, not ${parsed.statement.scope_id}`,
      );
    }
    if (riskRank(riskClass) > riskRank(authorizer.maxRiskClass)) {
      return finding(
        'risk class not allowed',
        `may authorize up to risk class ${authorizer.maxRiskClass}, not ${riskClass}`,
      );
    }
    counted.add(keyid);
    return finding('counted', 'counts');
  });
}

function denied(parsed: ParsedAuthorization, rule: string, detail: string, hint?: string): AurionError {
  return new AurionError(
    'AUTHORIZATION_DENIED',
    `authorization ${parsed.statement.id} denied by rule "${rule}": ${detail}`,
    {
      ...(hint === undefined ? {} : { hint }),
    },
  );
}

/** Parses a job's target: REQUEST_INVALID (3) when it is not a host name, IP, CIDR or http(s) URL. */
export function parseJobTarget(text: string): Target {
  const parsed = parseTarget(text, { allowWildcard: false });
  if ('problem' in parsed) {
    throw new AurionError('REQUEST_INVALID', `job target ${JSON.stringify(text)}: ${parsed.problem}`, {
      hint: 'give one host name, IP address, CIDR range or http(s) URL',
    });
  }
  return parsed.target;
}

/**
 * Checks that a signed authorization covers a job, under the authorizer trust given. Returns the statement's
 * id and the key ids that counted. Throws AurionError:
 * AUTHORIZATION_MALFORMED (3) — the envelope or statement does not parse, fails its schema, or holds an
 * invalid entry (message with a JSON pointer); REQUEST_INVALID (3) — the job's target is not valid;
 * AUTHORIZATION_DENIED (1) — the first failed rule in SPEC §9's order; KEY_INVALID / POLICY_INVALID (3) —
 * trust data that no loader would build.
 */
export function checkAuthorization(
  envelope: Uint8Array,
  job: AuthorizationJob,
  trust: AuthorizerTrust,
  options: CheckOptions = {},
): AuthorizationGrant {
  const parsed = parseAuthorization(envelope, options.source ?? 'envelope');
  const target = parseJobTarget(job.target);
  assertAuthorizerTrust(trust);
  const now = options.now ?? new Date();
  const { statement } = parsed;

  const findings = judgeSignatures(parsed, trust, job.riskClass, now);
  const signers = findings.filter((f) => f.verdict === 'counted').map((f) => f.keyId);
  const needed = thresholdFor(trust, job.riskClass);
  if (signers.length < needed) {
    const why = findings
      .filter((f) => f.verdict !== 'counted' && f.verdict !== 'duplicate')
      .map((f) => f.message);
    const detail =
      `${signers.length} of ${needed} distinct trusted authorizer signature${needed === 1 ? '' : 's'} needed for risk class ${job.riskClass}` +
      (findings.length === 0
        ? ' (the envelope has no signatures)'
        : why.length === 0
          ? ''
          : ` (${why.join('; ')})`);
    throw denied(
      parsed,
      'signatures and threshold',
      detail,
      'have trusted authorizers co-sign it with aurion-plugin authz sign',
    );
  }
  if (now.getTime() < parsed.notBefore.getTime()) {
    throw denied(
      parsed,
      'time window',
      `not valid before ${statement.not_before} (checked at ${now.toISOString()})`,
    );
  }
  if (now.getTime() > parsed.notAfter.getTime()) {
    throw denied(
      parsed,
      'time window',
      `expired at ${statement.not_after} (checked at ${now.toISOString()})`,
    );
  }
  if (statement.scope_id !== job.scopeId) {
    throw denied(
      parsed,
      'scope',
      `it is for scope ${JSON.stringify(statement.scope_id)}, not ${JSON.stringify(job.scopeId)}`,
    );
  }
  if (!parsed.plugins.some((glob) => globMatch(glob, job.pluginName))) {
    throw denied(parsed, 'plugin', `it covers plugins ${parsed.plugins.join(', ')}, not ${job.pluginName}`);
  }
  for (const capability of job.capabilities) {
    const risk = CAPABILITY_RISK[capability];
    if (risk !== 'Low' && !statement.capabilities.includes(capability)) {
      throw denied(
        parsed,
        'capabilities',
        `capability ${capability} (${risk}) of ${job.pluginName} is not listed (it lists ${statement.capabilities.join(', ')})`,
      );
    }
  }
  if (!parsed.targets.some((entry) => entryMatches(entry.target, target, 'contains'))) {
    throw denied(parsed, 'target', `target ${job.target} is not covered by any of its targets`);
  }
  const excluded = parsed.exclude.find((entry) => entryMatches(entry.target, target, 'overlaps'));
  if (excluded !== undefined) {
    throw denied(parsed, 'exclude', `target ${job.target} is excluded by ${JSON.stringify(excluded.text)}`);
  }
  return { id: statement.id, signers };
}
