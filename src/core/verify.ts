/**
 * verifyContents: every check of SPEC §3-§6 on one bundle already read, every problem collected (not just the first).
 *
 * The reader (structure, manifest schema) runs first; then the module digest, then each signature on its own:
 * its envelope, its digests, its bytes against the trusted key's bytes, and the policy rules for that key. A
 * bundle passes when the reader and digest checks pass and at least one signature passes every check of its
 * own. Trust material is data handed in (src/core/policy.ts); nothing here reads keys or policies.
 */
import { hash } from 'node:crypto';
import { AurionError, type ErrorCode, EXIT_CODE_OF } from '../errors.js';
import { type BundleContents, checkModuleDigest } from './bundle/entries.js';
import { verifyEd25519Async } from './ed25519.js';
import { type Envelope, envelopeSignatures, parseEnvelope, subjectOf } from './envelope.js';
import { effectiveRiskClass, evaluateRules, isRevoked, type TrustPolicy } from './policy.js';
import type { Capability, RiskClass } from './types.js';

export interface VerifyError {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface PluginSummary {
  readonly name: string;
  readonly version: string;
  readonly risk_class: RiskClass;
  readonly effective_risk_class: RiskClass;
  readonly capabilities: readonly Capability[];
  readonly runtime: 'wasm' | 'container';
}

export type Signer =
  | { readonly algorithm: 'ed25519'; readonly key_id: string; readonly name?: string }
  | { readonly algorithm: 'openpgp'; readonly fingerprint: string; readonly name?: string };

/** The verdict on one signature file of the bundle. */
export type SignatureVerdict = {
  readonly file: 'signature.ed25519' | 'signature.asc';
  readonly ok: boolean;
  readonly errors: readonly VerifyError[];
} & (
  | { readonly algorithm: 'ed25519'; readonly key_id?: string; readonly name?: string }
  | { readonly algorithm: 'openpgp'; readonly fingerprint?: string; readonly name?: string }
);

export interface VerifyResult {
  /** The bundle path as given. */
  readonly bundle: string;
  readonly ok: boolean;
  /** null when the manifest could not be read. */
  readonly plugin: PluginSummary | null;
  /** The signature that passed every check; null when none did. */
  readonly signer: Signer | null;
  readonly signatures: readonly SignatureVerdict[];
  /** Every problem found; empty when ok. When ok, a failing second signature's errors stay in `signatures`. */
  readonly errors: readonly VerifyError[];
}

export interface VerifyOptions {
  /** The instant key expiry is judged at (default: now). */
  readonly now?: Date;
  readonly maxModuleSize?: number;
  /** Compressed bytes of the bundle read so far, out of its file size (progress display). */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** One-shot SHA-256 (no Hash object: this runs for every bundle of a batch). */
const sha256 = (bytes: Uint8Array) => hash('sha256', bytes, 'hex');

export function errorOf(e: unknown): VerifyError {
  if (e instanceof AurionError) return { code: e.code, message: e.message };
  throw e;
}

function dedupe(errors: readonly VerifyError[]): VerifyError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.code}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The Ed25519 envelope: parse, bind it to this bundle, verify both signatures with the trusted key's bytes. */
async function verifyEnvelope(
  bundle: BundleContents,
  trust: TrustPolicy,
  now: Date,
): Promise<SignatureVerdict> {
  const file = 'signature.ed25519' as const;
  const where = `${bundle.path}:${file}`;
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(bundle.signatureEd25519!, where);
  } catch (e) {
    return { file, algorithm: 'ed25519', ok: false, errors: [errorOf(e)] };
  }
  const errors: VerifyError[] = [];
  const keyId = envelope.key_id;

  // What the envelope claims must be this bundle: the module (or image) digest and the stored manifest bytes.
  const expected = subjectOf(bundle);
  if (envelope.subject.kind !== expected.kind) {
    errors.push({
      code: 'SIGNATURE_INVALID',
      message: `${where} signs a ${envelope.subject.kind}, but this is a ${bundle.manifest.runtime} bundle (${expected.kind})`,
    });
  } else if (envelope.subject.sha256 !== expected.sha256) {
    errors.push({
      code: 'DIGEST_MISMATCH',
      message: `${where} signs ${expected.kind} sha256 ${envelope.subject.sha256}, but the bundle holds ${expected.sha256}: the ${expected.kind === 'wasm-module' ? 'module' : 'image'} changed after signing`,
    });
  }
  const manifestDigest = sha256(bundle.manifestBytes);
  if (envelope.manifest_sha256 !== manifestDigest) {
    errors.push({
      code: 'DIGEST_MISMATCH',
      message: `${where} signs manifest.json sha256 ${envelope.manifest_sha256}, but the stored manifest.json has ${manifestDigest}: the manifest changed after signing`,
    });
  }

  const trusted = trust.keys.find((k) => k.keyId === keyId);
  if (trusted === undefined) {
    // A revoked key that is no longer listed is still reported as revoked: the more useful of the two facts.
    errors.push(
      isRevoked(trust, keyId)
        ? {
            code: 'KEY_REVOKED',
            message: `${where} is signed by key ${keyId}, which the trust policy revokes`,
          }
        : {
            code: 'KEY_UNTRUSTED',
            message: `${where} is signed by key ${keyId}, which is not in the trust material`,
          },
    );
    return { file, algorithm: 'ed25519', key_id: keyId, ok: false, errors: dedupe(errors) };
  }

  // The key id only selects the key: the signatures must verify with that key's own bytes (the loaded key
  // object is reused across bundles: creating one costs about as much as a verification). Each signature is
  // checked over the digest the envelope names; a digest that differs from the bundle's is reported above.
  // Both run on the thread pool at once (see verifyEd25519Async).
  const key = trusted.publicKey;
  const { signature, manifestSignature } = envelopeSignatures(envelope);
  const [subjectOk, manifestOk] = await Promise.all([
    verifyEd25519Async(key, Buffer.from(envelope.subject.sha256, 'hex'), signature),
    verifyEd25519Async(key, Buffer.from(envelope.manifest_sha256, 'hex'), manifestSignature),
  ]);
  if (!subjectOk) {
    errors.push({
      code: 'SIGNATURE_INVALID',
      message: `${where}: the ${envelope.subject.kind} signature does not verify with key ${keyId}`,
    });
  }
  if (!manifestOk) {
    errors.push({
      code: 'SIGNATURE_INVALID',
      message: `${where}: the manifest signature does not verify with key ${keyId}`,
    });
  }
  for (const finding of evaluateRules(trust, trusted, keyId, bundle.manifest, now)) {
    errors.push({ code: finding.code, message: `${where}: ${finding.message}` });
  }
  const deduped = dedupe(errors);
  return {
    file,
    algorithm: 'ed25519',
    key_id: keyId,
    ...(trusted.name === undefined ? {} : { name: trusted.name }),
    ok: deduped.length === 0,
    errors: deduped,
  };
}

/** The OpenPGP detached signature over manifest.json (container bundles only; the reader enforces that). */
async function verifyPgp(bundle: BundleContents, trust: TrustPolicy, now: Date): Promise<SignatureVerdict> {
  const file = 'signature.asc' as const;
  const where = `${bundle.path}:${file}`;
  if (trust.pgpKeys.length === 0) {
    return {
      file,
      algorithm: 'openpgp',
      ok: false,
      errors: [
        {
          code: 'KEY_UNTRUSTED',
          message: `${where}: no OpenPGP key is trusted (give --pgp-keyring or policy pgp_keys)`,
        },
      ],
    };
  }
  // openpgp.js is heavy: loaded only for bundles that carry signature.asc and when PGP trust exists.
  const pgp = await import('./pgp/verify.js');
  const outcome = await pgp.verifyDetached(
    bundle.manifestBytes,
    bundle.signatureAsc!,
    trust.pgpKeys.map((k) => k.key),
    now,
  );
  if (!outcome.ok) {
    return {
      file,
      algorithm: 'openpgp',
      ...(outcome.fingerprint === undefined ? {} : { fingerprint: outcome.fingerprint }),
      ok: false,
      errors: [{ code: outcome.code, message: `${where}: ${outcome.message}` }],
    };
  }
  const trusted = trust.pgpKeys.find((k) => k.fingerprint === outcome.fingerprint);
  if (trusted === undefined) {
    // verifyDetached only accepts signatures by the keys handed to it; this guards a contract slip.
    return {
      file,
      algorithm: 'openpgp',
      fingerprint: outcome.fingerprint,
      ok: false,
      errors: [
        {
          code: 'KEY_UNTRUSTED',
          message: `${where} is signed by ${outcome.fingerprint}, which is not trusted`,
        },
      ],
    };
  }
  const findings = evaluateRules(trust, trusted, trusted.fingerprint, bundle.manifest, now);
  // A revocation may name the signing subkey rather than the primary key.
  if (
    outcome.signingKeyFingerprint !== trusted.fingerprint &&
    isRevoked(trust, outcome.signingKeyFingerprint)
  ) {
    findings.push({
      code: 'KEY_REVOKED',
      message: `signing subkey ${outcome.signingKeyFingerprint} of ${trusted.fingerprint} is revoked by the trust policy`,
    });
  }
  const errors = findings.map((f) => ({ code: f.code, message: `${where}: ${f.message}` }));
  return {
    file,
    algorithm: 'openpgp',
    fingerprint: trusted.fingerprint,
    ...(trusted.name === undefined ? {} : { name: trusted.name }),
    ok: errors.length === 0,
    errors,
  };
}

/** Verifies a bundle that was already read (e.g. by inspect, which scans the module in the same pass). */
export async function verifyContents(
  bundle: BundleContents,
  trust: TrustPolicy,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const now = options.now ?? new Date();
  const { manifest } = bundle;
  const plugin: PluginSummary = {
    name: manifest.name,
    version: manifest.version,
    risk_class: manifest.risk_class,
    effective_risk_class: effectiveRiskClass(trust, manifest),
    capabilities: manifest.capabilities,
    runtime: manifest.runtime,
  };
  const bundleErrors: VerifyError[] = [];
  try {
    checkModuleDigest(bundle);
  } catch (e) {
    bundleErrors.push(errorOf(e));
  }

  const signatures: SignatureVerdict[] = [];
  if (bundle.signatureEd25519 !== undefined) signatures.push(await verifyEnvelope(bundle, trust, now));
  if (bundle.signatureAsc !== undefined) signatures.push(await verifyPgp(bundle, trust, now));
  if (signatures.length === 0) {
    bundleErrors.push({
      code: 'UNSIGNED',
      message: `${bundle.path} has no signature`,
    });
  }
  const passed = signatures.find((s) => s.ok);
  const ok = bundleErrors.length === 0 && passed !== undefined;
  const errors = dedupe(
    passed === undefined ? [...bundleErrors, ...signatures.flatMap((s) => s.errors)] : bundleErrors,
  );
  return {
    bundle: bundle.path,
    ok,
    plugin,
    signer: passed === undefined ? null : signerOf(passed),
    signatures,
    errors,
  };
}

function signerOf(verdict: SignatureVerdict): Signer {
  const name = verdict.name === undefined ? {} : { name: verdict.name };
  return verdict.algorithm === 'ed25519'
    ? { algorithm: 'ed25519', key_id: verdict.key_id!, ...name }
    : { algorithm: 'openpgp', fingerprint: verdict.fingerprint!, ...name };
}

/** The exit code of a verify call (SPEC §7): 0 when all pass, else the largest among the failed bundles. */
export function exitCodeOf(results: readonly VerifyResult[]): number {
  let code = 0;
  for (const r of results) {
    if (r.ok) continue;
    const own = Math.max(1, ...r.errors.map((e) => EXIT_CODE_OF[e.code]));
    code = Math.max(code, own);
  }
  return code;
}
