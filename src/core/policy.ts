/**
 * Trust policy (SPEC §6): which keys may sign which plugins, up to which risk class, until when.
 *
 * Pure: the policy's bytes and a `readKeyFile` callback come in, plain trust data goes out; reading files is
 * the caller's business (src/io/trust.ts). The same TrustPolicy structure is built from a policy file and from
 * the `--trusted-key` / `--pgp-keyring` shorthands, so there is one evaluation path for both.
 */
import { AurionError, type ErrorCode, type Issue, issuesError } from '../errors.js';
import { trustPolicy as trustPolicyValidator } from '../generated/validators.js';
import { type Ed25519PublicKey, loadPublicKey } from './keys.js';
import type { PgpPublicKey, PgpRevocation } from './pgp.js';
import { readDocument } from './schema.js';
import { parseRfc3339 } from './time.js';
import { type Manifest, type RiskClass, riskRank } from './types.js';

/** Restrictions shared by Ed25519 and OpenPGP trust entries. */
export interface TrustRules {
  /** Display name (policy `name`), for reports. */
  readonly name?: string | undefined;
  readonly maxRiskClass: RiskClass;
  /** Plugin-name globs (`*`, `?`); the key signs only plugins matching one of them. */
  readonly plugins: readonly string[];
  /** The key is not trusted at or after this instant. */
  readonly expires?: Date | undefined;
  /** Where the entry came from, for messages: `policy.json /keys/0` or `--trusted-key alice.pub`. */
  readonly source: string;
}

export interface TrustedKey extends TrustRules {
  readonly keyId: string;
  readonly publicKey: Ed25519PublicKey;
}

export interface TrustedPgpKey extends TrustRules {
  /** Lowercase hex fingerprint of the primary key. */
  readonly fingerprint: string;
  readonly key: PgpPublicKey;
}

export interface TrustPolicy {
  readonly keys: readonly TrustedKey[];
  /** Each key is the merge of every copy in the trust material, with every revocation certificate applied. */
  readonly pgpKeys: readonly TrustedPgpKey[];
  /**
   * The bare OpenPGP revocation certificates found in this trust material (absent: none). Already applied to
   * `pgpKeys`; kept so that mergeTrust applies them to copies of their key from other parts too.
   */
  readonly pgpRevocations?: readonly PgpRevocation[] | undefined;
  /** Lowercase Ed25519 key ids, OpenPGP fingerprints and OpenPGP long key ids. */
  readonly revoked: ReadonlySet<string>;
  readonly riskClassOverrides: ReadonlyMap<string, RiskClass>;
}

export const DEFAULT_RULES = { maxRiskClass: 'High', plugins: ['*'] } as const;

export interface PolicyContext {
  /** The policy file's path (or another label), for messages. */
  readonly source: string;
  /**
   * Reads a `public_key_file` named in the policy; the path is as written there (relative to the policy
   * file). Throws IO_ERROR when the file cannot be read.
   */
  readonly readKeyFile: (path: string) => Promise<Uint8Array>;
}

/** A policy problem found before keys are loaded. */
function policyInvalid(source: string, issues: readonly Issue[]): AurionError {
  return issuesError(
    'POLICY_INVALID',
    `invalid trust policy ${source}`,
    issues,
    'fix the policy; docs/verify.md and schemas/trust-policy.schema.json describe the format',
  );
}

interface RawRules {
  name?: string;
  max_risk_class?: RiskClass;
  plugins?: string[];
  expires?: string;
  public_key_file?: string;
  public_key?: string;
}
interface RawPolicy {
  schema_version: 1;
  keys?: Array<RawRules & { key_id: string }>;
  pgp_keys?: Array<RawRules & { fingerprint: string }>;
  revoked?: string[];
  risk_class_overrides?: Record<string, RiskClass>;
}

/** Decodes and validates the policy document (no key loaded yet): POLICY_INVALID with every pointer. */
function parseDocument(bytes: Uint8Array, source: string): RawPolicy {
  const { value, issues } = readDocument(bytes, trustPolicyValidator);
  const doc = value as RawPolicy;
  if (issues.length === 0) issues.push(...crossFieldIssues(doc));
  if (issues.length > 0) throw policyInvalid(source, issues);
  return doc;
}

/** Rules a schema cannot say: real calendar dates, no key listed twice. */
function crossFieldIssues(doc: RawPolicy): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<string, string>();
  const check = (list: ReadonlyArray<RawRules & { id: string }>, base: string, idField: string) => {
    list.forEach((entry, i) => {
      const at = `${base}/${i}`;
      if (entry.expires !== undefined && parseRfc3339(entry.expires) === undefined) {
        issues.push({
          at: `${at}/expires`,
          message: `is not a real date-time: ${JSON.stringify(entry.expires)}`,
        });
      }
      const id = entry.id.toLowerCase();
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        issues.push({
          at: `${at}/${idField}`,
          message: `lists the same key as ${earlier}; merge the two entries`,
        });
      } else seen.set(id, at);
    });
  };
  check(
    (doc.keys ?? []).map((k) => ({ ...k, id: k.key_id })),
    '/keys',
    'key_id',
  );
  check(
    (doc.pgp_keys ?? []).map((k) => ({ ...k, id: k.fingerprint })),
    '/pgp_keys',
    'fingerprint',
  );
  return issues;
}

function rulesOf(raw: RawRules, source: string): TrustRules {
  return {
    name: raw.name,
    maxRiskClass: raw.max_risk_class ?? DEFAULT_RULES.maxRiskClass,
    plugins: raw.plugins ?? DEFAULT_RULES.plugins,
    expires: raw.expires === undefined ? undefined : parseRfc3339(raw.expires),
    source,
  };
}

/** The key text of an entry: inline, or read through the context (IO_ERROR names the policy entry). */
async function keyText(raw: RawRules, at: string, context: PolicyContext): Promise<Uint8Array | string> {
  if (raw.public_key !== undefined) return raw.public_key;
  const file = raw.public_key_file!;
  try {
    return await context.readKeyFile(file);
  } catch (e) {
    if (e instanceof AurionError) {
      throw new AurionError(e.code, `${e.message} (named by ${context.source} ${at}/public_key_file)`, {
        hint: e.hint ?? 'public_key_file is relative to the policy file',
        cause: e,
      });
    }
    throw e;
  }
}

/** Re-labels a key-loading error with the policy entry it came from. */
function located(e: unknown, where: string): unknown {
  if (!(e instanceof AurionError)) return e;
  return new AurionError(e.code, `${e.message} (${where})`, { hint: e.hint, issues: e.issues, cause: e });
}

/**
 * Parses a trust policy and loads every key it names. POLICY_INVALID (3) for a malformed document or a
 * key_id/fingerprint that is not the one computed from the key; KEY_INVALID (3) for a key that does not parse
 * or is weak; IO_ERROR (4) for a key file that cannot be read.
 */
export async function parseTrustPolicy(bytes: Uint8Array, context: PolicyContext): Promise<TrustPolicy> {
  const { source } = context;
  const doc = parseDocument(bytes, source);

  const keys: TrustedKey[] = [];
  for (const [i, raw] of (doc.keys ?? []).entries()) {
    const at = `/keys/${i}`;
    const text = await keyText(raw, at, context);
    let publicKey: Ed25519PublicKey;
    try {
      publicKey = loadPublicKey(text, raw.public_key_file ?? `${source} ${at}/public_key`);
    } catch (e) {
      throw located(e, `${source} ${at}`);
    }
    const claimed = raw.key_id.toLowerCase();
    if (publicKey.keyId !== claimed) {
      throw policyInvalid(source, [
        {
          at: `${at}/key_id`,
          message: `is ${claimed}, but the key ${raw.public_key_file ?? 'in public_key'} has key id ${publicKey.keyId}; check that the entry names the right key`,
        },
      ]);
    }
    keys.push({ keyId: publicKey.keyId, publicKey, ...rulesOf(raw, `${source} ${at}`) });
  }

  const pgpKeys: TrustedPgpKey[] = [];
  const pgpRevocations: PgpRevocation[] = [];
  if ((doc.pgp_keys ?? []).length > 0) {
    // openpgp.js is heavy: loaded only when a policy names OpenPGP keys.
    const pgp = await import('./pgp.js');
    const copies: PgpPublicKey[] = [];
    for (const [i, raw] of (doc.pgp_keys ?? []).entries()) {
      const at = `/pgp_keys/${i}`;
      const text = await keyText(raw, at, context);
      const file = raw.public_key_file ?? `${source} ${at}/public_key`;
      let ring: Awaited<ReturnType<typeof pgp.loadPgpKeyring>>;
      try {
        ring = await pgp.loadPgpKeyring(text, file);
      } catch (e) {
        throw located(e, `${source} ${at}`);
      }
      const claimed = raw.fingerprint.toLowerCase();
      const key = ring.keys.find((k) => k.fingerprint === claimed);
      if (key === undefined) {
        const holds = ring.keys.length === 0 ? 'no key' : ring.keys.map((k) => k.fingerprint).join(', ');
        throw policyInvalid(source, [
          {
            at: `${at}/fingerprint`,
            message: `is ${claimed}, but ${raw.public_key_file ?? 'public_key'} holds ${holds}; check that the entry names the right key`,
          },
        ]);
      }
      copies.push(...ring.keys);
      pgpRevocations.push(...ring.revocations);
      pgpKeys.push({ fingerprint: claimed, key, ...rulesOf(raw, `${source} ${at}`) });
    }
    // Every copy in the policy's files counts (an entry's file may also hold another entry's key), and so does
    // every revocation certificate, whichever entry's file holds it.
    const merged = new Map((await pgp.mergePgpKeys(copies, pgpRevocations)).map((k) => [k.fingerprint, k]));
    // A key read but named by no entry is not trusted; its revocations still reach copies trusted elsewhere.
    for (const key of merged.values()) {
      if (!pgpKeys.some((entry) => entry.fingerprint === key.fingerprint)) {
        pgpRevocations.push(...(await pgp.revocationsOf(key, source)));
      }
    }
    for (const [i, entry] of pgpKeys.entries())
      pgpKeys[i] = { ...entry, key: merged.get(entry.fingerprint)! };
  }

  return {
    keys,
    pgpKeys,
    pgpRevocations,
    revoked: new Set((doc.revoked ?? []).map((r) => r.toLowerCase())),
    riskClassOverrides: new Map(Object.entries(doc.risk_class_overrides ?? {})),
  };
}

/** `--trusted-key FILE`: one Ed25519 key with the default rules (KEY_INVALID when it does not parse). */
export function trustedKeyFromPem(pem: string | Uint8Array, source: string): TrustedKey {
  const publicKey = loadPublicKey(pem, source);
  return { keyId: publicKey.keyId, publicKey, ...DEFAULT_RULES, source: `--trusted-key ${source}` };
}

/**
 * `--pgp-keyring FILE`: every public key in the keyring (armored or binary), each with the default rules, and
 * its bare revocation certificates (a keyring may hold only those).
 */
export async function trustFromPgpKeyring(input: string | Uint8Array, source: string): Promise<TrustPolicy> {
  const pgp = await import('./pgp.js');
  const ring = await pgp.loadPgpKeyring(input, source);
  return {
    keys: [],
    pgpKeys: ring.keys.map((key) => ({
      fingerprint: key.fingerprint,
      key,
      ...DEFAULT_RULES,
      source: `--pgp-keyring ${source}`,
    })),
    pgpRevocations: ring.revocations,
    revoked: new Set(),
    riskClassOverrides: new Map(),
  };
}

/**
 * Combines trust material: keys are unioned, revocations unioned. A key listed in several parts keeps the rules
 * of its first entry (callers pass the policy file first, so its restrictions win over a shorthand's defaults),
 * but an OpenPGP key's material is the merge of every copy, with every part's revocation certificates applied
 * (SPEC §5): a revocation in any copy counts, whatever the order. Conflicting risk-class overrides for one
 * plugin are refused rather than guessed. KEY_INVALID for a revocation certificate its key does not verify.
 */
export async function mergeTrust(parts: readonly TrustPolicy[]): Promise<TrustPolicy> {
  const keys = new Map<string, TrustedKey>();
  const pgpKeys = new Map<string, TrustedPgpKey>();
  const pgpCopies: PgpPublicKey[] = [];
  const pgpRevocations: PgpRevocation[] = [];
  const revoked = new Set<string>();
  const overrides = new Map<string, RiskClass>();
  for (const part of parts) {
    for (const k of part.keys) if (!keys.has(k.keyId)) keys.set(k.keyId, k);
    for (const k of part.pgpKeys) {
      pgpCopies.push(k.key);
      if (!pgpKeys.has(k.fingerprint)) pgpKeys.set(k.fingerprint, k);
    }
    pgpRevocations.push(...(part.pgpRevocations ?? []));
    for (const r of part.revoked) revoked.add(r);
    for (const [name, risk] of part.riskClassOverrides) {
      const earlier = overrides.get(name);
      if (earlier !== undefined && earlier !== risk) {
        throw new AurionError(
          'POLICY_INVALID',
          `conflicting risk_class_overrides for ${name}: ${earlier} and ${risk}`,
          { hint: 'give one trust policy, or make the overrides agree' },
        );
      }
      overrides.set(name, risk);
    }
  }
  let pgpEntries = [...pgpKeys.values()];
  if (pgpEntries.length > 0) {
    const pgp = await import('./pgp.js');
    const merged = new Map(
      (await pgp.mergePgpKeys(pgpCopies, pgpRevocations)).map((k) => [k.fingerprint, k]),
    );
    pgpEntries = pgpEntries.map((entry) => ({ ...entry, key: merged.get(entry.fingerprint)! }));
  }
  return {
    keys: [...keys.values()],
    pgpKeys: pgpEntries,
    pgpRevocations,
    revoked,
    riskClassOverrides: overrides,
  };
}

/**
 * Full-match glob with `*` (any run, also empty) and `?` (exactly one character); every other character is
 * literal. Linear-time two-pointer match: a `*` remembers where to resume, so no exponential backtracking.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The plugin's effective risk class: the administrators' override where one exists, else the manifest's. */
export function effectiveRiskClass(policy: TrustPolicy, manifest: Manifest): RiskClass {
  return policy.riskClassOverrides.get(manifest.name) ?? manifest.risk_class;
}

/** The OpenPGP long key id of a fingerprint: last 16 hex for v4 keys (40 hex), first 16 for v6 (64 hex). */
function pgpKeyId(fingerprint: string): string {
  return fingerprint.length === 40 ? fingerprint.slice(24) : fingerprint.slice(0, 16);
}

/** True when the revocation list names this Ed25519 key id or OpenPGP fingerprint (or its long key id). */
export function isRevoked(policy: TrustPolicy, id: string): boolean {
  if (policy.revoked.size === 0) return false;
  const lower = id.toLowerCase();
  if (policy.revoked.has(lower)) return true;
  return lower.length > 16 && policy.revoked.has(pgpKeyId(lower));
}

export interface PolicyFinding {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * Applies one trusted entry's rules to a plugin whose signature by that key verified: revocation, expiry,
 * plugin-name globs, risk class. Returns every rule that denies (empty: allowed).
 */
export function evaluateRules(
  policy: TrustPolicy,
  signer: TrustRules,
  signerId: string,
  manifest: Manifest,
  now: Date,
): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const who = `key ${signerId}${signer.name === undefined ? '' : ` (${signer.name})`}`;
  if (isRevoked(policy, signerId)) {
    findings.push({ code: 'KEY_REVOKED', message: `${who} is revoked by the trust policy` });
  }
  if (signer.expires !== undefined && now.getTime() >= signer.expires.getTime()) {
    findings.push({
      code: 'KEY_EXPIRED',
      message: `${who} expired at ${signer.expires.toISOString()} (trust entry ${signer.source})`,
    });
  }
  if (!signer.plugins.some((glob) => globMatch(glob, manifest.name))) {
    findings.push({
      code: 'KEY_UNTRUSTED',
      message: `${who} may sign only plugins matching ${signer.plugins.join(', ')}, not ${manifest.name}`,
    });
  }
  const effective = effectiveRiskClass(policy, manifest);
  if (riskRank(effective) > riskRank(signer.maxRiskClass)) {
    const overridden = effective === manifest.risk_class ? '' : " (administrators' override)";
    findings.push({
      code: 'RISK_NOT_ALLOWED',
      message: `${manifest.name} has risk class ${effective}${overridden}, above ${signer.maxRiskClass}, the most ${who} may sign`,
    });
  }
  return findings;
}
