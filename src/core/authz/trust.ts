/**
 * Authorizer trust (SPEC §9): which Ed25519 keys may sign authorizations, for which scopes, up to which risk
 * class, until when; revocations; how many distinct authorizers each risk class needs. Kept apart from the
 * plugin signers of src/core/policy.ts: a key trusted to sign plugins authorizes nothing, and vice versa.
 *
 * Pure: the policy's bytes and a `readKeyFile` callback come in, plain data goes out (src/io/authorizers.ts
 * reads the files).
 */
import { AurionError, type Issue, issuesError } from '../../errors.js';
import { trustPolicy as trustPolicyValidator } from '../../generated/validators.js';
import { publicKeyProblem } from '../ed25519.js';
import { keyIdOf, loadPublicKey } from '../keys.js';
import { readDocument } from '../schema.js';
import { parseRfc3339 } from '../time.js';
import type { RiskClass } from '../types.js';

/** One trusted authorizer key. */
export interface Authorizer {
  /** 16 lowercase hex: keyIdOf(publicKey). */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  readonly name?: string | undefined;
  /** Globs over scope ids (`*`, `?`); default `["*"]`. */
  readonly scopes: readonly string[];
  /** The highest risk class this key may authorize; default `High`. */
  readonly maxRiskClass: RiskClass;
  /** Not trusted at or after this instant. */
  readonly expires?: Date | undefined;
  /** Where the entry came from, for messages: `policy.json /authorizers/0`, `--trusted-authorizer a.pub`. */
  readonly source: string;
}

/** Everything checkAuthorization needs to know about trust: plain data. */
export interface AuthorizerTrust {
  readonly authorizers: readonly Authorizer[];
  /** Lowercase key ids (the policy's `revoked`, shared with plugin signers). */
  readonly revoked: ReadonlySet<string>;
  /** Distinct trusted authorizers needed per class; a class not listed needs 1. */
  readonly thresholds: Readonly<Partial<Record<RiskClass, number>>>;
}

export const DEFAULT_AUTHORIZER_RULES = { scopes: ['*'], maxRiskClass: 'High' } as const;

/** How many distinct trusted authorizers `risk` needs. */
export function thresholdFor(trust: AuthorizerTrust, risk: RiskClass): number {
  return trust.thresholds[risk] ?? 1;
}

/**
 * Refuses trust data that no loader would have built (a library caller's hand-made AuthorizerTrust): a key id
 * that is not the key's, a weak key, a threshold below 1. KEY_INVALID / POLICY_INVALID; fails closed.
 */
export function assertAuthorizerTrust(trust: AuthorizerTrust): void {
  for (const a of trust.authorizers) {
    const problem = publicKeyProblem(a.publicKey);
    if (problem !== undefined) {
      throw new AurionError('KEY_INVALID', `authorizer key ${a.keyId} (${a.source}): the key ${problem}`);
    }
    if (keyIdOf(a.publicKey) !== a.keyId) {
      throw new AurionError('POLICY_INVALID', `authorizer ${a.source}: key id ${a.keyId} is not the key's`);
    }
  }
  for (const [risk, n] of Object.entries(trust.thresholds)) {
    if (!Number.isInteger(n) || (n as number) < 1) {
      throw new AurionError('POLICY_INVALID', `authorization threshold for ${risk} must be an integer >= 1`);
    }
  }
}

/** `--trusted-authorizer FILE`: one Ed25519 key with the default rules (KEY_INVALID when it does not parse). */
export function authorizerFromPem(pem: string | Uint8Array, source: string): Authorizer {
  const key = loadPublicKey(pem, source);
  return {
    keyId: key.keyId,
    publicKey: key.raw,
    ...DEFAULT_AUTHORIZER_RULES,
    source: `--trusted-authorizer ${source}`,
  };
}

interface RawAuthorizer {
  key_id: string;
  public_key_file?: string;
  public_key?: string;
  name?: string;
  scopes?: string[];
  max_risk_class?: RiskClass;
  expires?: string;
}
interface RawPolicy {
  authorizers?: RawAuthorizer[];
  revoked?: string[];
  authorization_thresholds?: Partial<Record<RiskClass, number>>;
}

export interface AuthorizerPolicyContext {
  /** The policy file's path, for messages. */
  readonly source: string;
  /** Reads a `public_key_file` as written in the policy (relative to it); IO_ERROR when it cannot. */
  readonly readKeyFile: (path: string) => Promise<Uint8Array>;
}

function policyInvalid(source: string, issues: readonly Issue[]): AurionError {
  return issuesError(
    'POLICY_INVALID',
    `invalid trust policy ${source}`,
    issues,
    'fix the policy; docs/authorization.md and schemas/trust-policy.schema.json describe the format',
  );
}

/**
 * The authorizer part of a trust policy: `authorizers`, `revoked`, `authorization_thresholds`.
 * POLICY_INVALID (3) for a malformed document, an impossible date, a key listed twice or a key_id that is not
 * the key's; KEY_INVALID (3) for a key that does not parse or is weak; IO_ERROR (4) for an unreadable key file.
 */
export async function parseAuthorizerPolicy(
  bytes: Uint8Array,
  context: AuthorizerPolicyContext,
): Promise<AuthorizerTrust> {
  const { source } = context;
  const { value, issues } = readDocument(bytes, trustPolicyValidator);
  if (issues.length > 0) throw policyInvalid(source, issues);
  const doc = value as RawPolicy;
  const authorizers: Authorizer[] = [];
  const seen = new Map<string, string>();
  for (const [i, raw] of (doc.authorizers ?? []).entries()) {
    const at = `/authorizers/${i}`;
    const expires = raw.expires === undefined ? undefined : parseRfc3339(raw.expires);
    if (raw.expires !== undefined && expires === undefined) {
      throw policyInvalid(source, [{ at: `${at}/expires`, message: 'is not a real date-time' }]);
    }
    const claimed = raw.key_id.toLowerCase();
    const earlier = seen.get(claimed);
    if (earlier !== undefined) {
      throw policyInvalid(source, [
        { at: `${at}/key_id`, message: `lists the same key as ${earlier}; merge the two entries` },
      ]);
    }
    seen.set(claimed, at);
    let text: string | Uint8Array;
    if (raw.public_key !== undefined) text = raw.public_key;
    else {
      try {
        text = await context.readKeyFile(raw.public_key_file!);
      } catch (e) {
        if (!(e instanceof AurionError)) throw e;
        throw new AurionError(e.code, `${e.message} (named by ${source} ${at}/public_key_file)`, {
          hint: 'public_key_file is relative to the policy file',
          cause: e,
        });
      }
    }
    let key: ReturnType<typeof loadPublicKey>;
    try {
      key = loadPublicKey(text, raw.public_key_file ?? `${source} ${at}/public_key`);
    } catch (e) {
      if (!(e instanceof AurionError)) throw e;
      throw new AurionError(e.code, `${e.message} (${source} ${at})`, { hint: e.hint, cause: e });
    }
    if (key.keyId !== claimed) {
      throw policyInvalid(source, [
        {
          at: `${at}/key_id`,
          message: `is ${claimed}, but the key has key id ${key.keyId}; check that the entry names the right key`,
        },
      ]);
    }
    authorizers.push({
      keyId: key.keyId,
      publicKey: key.raw,
      name: raw.name,
      scopes: raw.scopes ?? DEFAULT_AUTHORIZER_RULES.scopes,
      maxRiskClass: raw.max_risk_class ?? DEFAULT_AUTHORIZER_RULES.maxRiskClass,
      expires,
      source: `${source} ${at}`,
    });
  }
  return {
    authorizers,
    revoked: new Set((doc.revoked ?? []).map((r) => r.toLowerCase())),
    thresholds: { ...(doc.authorization_thresholds ?? {}) },
  };
}

/**
 * Combines authorizer trust: keys unioned (a key in several parts keeps its first entry, so callers pass the
 * policy first and its restrictions win over a flag's defaults), revocations unioned, thresholds from the
 * parts that set them (the strictest, i.e. highest, when several do).
 */
export function mergeAuthorizerTrust(parts: readonly AuthorizerTrust[]): AuthorizerTrust {
  const authorizers = new Map<string, Authorizer>();
  const revoked = new Set<string>();
  const thresholds: Partial<Record<RiskClass, number>> = {};
  for (const part of parts) {
    for (const a of part.authorizers) if (!authorizers.has(a.keyId)) authorizers.set(a.keyId, a);
    for (const r of part.revoked) revoked.add(r);
    for (const [risk, n] of Object.entries(part.thresholds) as Array<[RiskClass, number]>) {
      thresholds[risk] = Math.max(thresholds[risk] ?? 1, n);
    }
  }
  return { authorizers: [...authorizers.values()], revoked, thresholds };
}
