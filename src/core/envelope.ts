/**
 * signature.ed25519, the Ed25519 signature envelope (SPEC §5; schemas/signature.schema.json). `signature` signs
 * the 32 raw bytes of the subject digest — SHA-256 of module.wasm, or the image digest of a container bundle —
 * and `manifest_signature` the 32 raw bytes of SHA-256 of manifest.json exactly as stored, so that
 * capabilities and risk class cannot change after signing. Writing is deterministic: the same key and bundle
 * give the same bytes.
 */
import { createHash } from 'node:crypto';
import { AurionError, type Issue, issuesError } from '../errors.js';
import { signature as signatureValidator } from '../generated/validators.js';
import { decodeStrictBase64 } from './base64.js';
import { signEd25519, verifyEd25519 } from './ed25519.js';
import type { Ed25519PrivateKey } from './keys.js';
import { readDocument } from './schema.js';
import type { Manifest } from './types.js';

export type SubjectKind = 'wasm-module' | 'container-image';

export interface Envelope {
  readonly schema_version: 1;
  readonly algorithm: 'ed25519';
  readonly key_id: string;
  readonly subject: { readonly kind: SubjectKind; readonly sha256: string };
  /** Standard base64 of 64 bytes. */
  readonly signature: string;
  readonly manifest_sha256: string;
  /** Standard base64 of 64 bytes. */
  readonly manifest_signature: string;
}

/** What an envelope is about: the parts of a read bundle (BundleContents) that signing looks at. */
export interface SignedContent {
  /** manifest.json exactly as stored. */
  readonly manifestBytes: Uint8Array;
  readonly manifest: Manifest;
  /** SHA-256 of module.wasm as computed from its data (wasm bundles). */
  readonly module?: { readonly sha256: string };
}

const IMAGE_DIGEST = /@sha256:([0-9a-f]{64})$/;

/**
 * The subject a signature covers: the module digest computed from the data (callers run checkModuleDigest
 * first, so it equals the manifest's), or the image digest pinned in container.image.
 */
export function subjectOf(bundle: SignedContent): Envelope['subject'] {
  const { manifest } = bundle;
  if (manifest.runtime === 'container') {
    const match = IMAGE_DIGEST.exec(manifest.container?.image ?? '');
    if (match === null) {
      throw new AurionError('MANIFEST_INVALID', 'container.image is not pinned by a sha256 digest', {
        hint: 'pin the image as NAME@sha256:<64 hex> and rebuild the bundle',
      });
    }
    return { kind: 'container-image', sha256: match[1]! };
  }
  if (bundle.module === undefined) {
    throw new AurionError('BUNDLE_INVALID', 'a wasm bundle without module.wasm has nothing to sign');
  }
  return { kind: 'wasm-module', sha256: bundle.module.sha256 };
}

/** SHA-256 of manifest.json as stored, lowercase hex. */
export function manifestDigest(bundle: SignedContent): string {
  return createHash('sha256').update(bundle.manifestBytes).digest('hex');
}

/** The envelope's JSON text: fixed key order, two-space indent, a final newline, ASCII only. */
export function serializeEnvelope(envelope: Envelope): Uint8Array {
  const ordered: Envelope = {
    schema_version: envelope.schema_version,
    algorithm: envelope.algorithm,
    key_id: envelope.key_id,
    subject: { kind: envelope.subject.kind, sha256: envelope.subject.sha256 },
    signature: envelope.signature,
    manifest_sha256: envelope.manifest_sha256,
    manifest_signature: envelope.manifest_signature,
  };
  return new TextEncoder().encode(`${JSON.stringify(ordered, null, 2)}\n`);
}

/**
 * Signs a bundle's subject and manifest and returns the bytes of signature.ed25519. Both signatures are
 * checked with the strict verifier before they are handed out, so a faulty signing never ships.
 */
export function createEnvelope(key: Ed25519PrivateKey, bundle: SignedContent): Uint8Array {
  const subject = subjectOf(bundle);
  const manifestSha256 = manifestDigest(bundle);
  const subjectMessage = Buffer.from(subject.sha256, 'hex');
  const manifestMessage = Buffer.from(manifestSha256, 'hex');
  const signature = signEd25519(key, subjectMessage);
  const manifestSignature = signEd25519(key, manifestMessage);
  if (
    !verifyEd25519(key.publicKey, subjectMessage, signature) ||
    !verifyEd25519(key.publicKey, manifestMessage, manifestSignature)
  ) {
    throw new AurionError('INTERNAL', 'a fresh Ed25519 signature does not verify with its own public key');
  }
  return serializeEnvelope({
    schema_version: 1,
    algorithm: 'ed25519',
    key_id: key.publicKey.keyId,
    subject,
    signature: Buffer.from(signature).toString('base64'),
    manifest_sha256: manifestSha256,
    manifest_signature: Buffer.from(manifestSignature).toString('base64'),
  });
}

function invalid(source: string, issues: readonly Issue[]): AurionError {
  return issuesError(
    'SIGNATURE_INVALID',
    `invalid signature envelope ${source}`,
    issues,
    're-sign the bundle with aurion-plugin sign --force; schemas/signature.schema.json is the format',
  );
}

/**
 * Reads signature.ed25519: strict UTF-8 without BOM, JSON without duplicate keys, the schema (hex digests,
 * canonical base64 of exactly 64 bytes). Anything else is SIGNATURE_INVALID (exit 1).
 */
export function parseEnvelope(bytes: Uint8Array, source: string): Envelope {
  const { value, issues } = readDocument(bytes, signatureValidator);
  if (issues.length > 0) throw invalid(source, issues);
  const envelope = value as Envelope;
  // The schema's pattern already pins canonical 64-byte base64; decoding again keeps that promise explicit.
  for (const field of ['signature', 'manifest_signature'] as const) {
    if (decodeStrictBase64(envelope[field])?.length !== 64) {
      throw invalid(source, [{ at: `/${field}`, message: 'is not canonical base64 of exactly 64 bytes' }]);
    }
  }
  return envelope;
}

/** The two 64-byte signatures of a parsed envelope. */
export function envelopeSignatures(envelope: Envelope): {
  readonly signature: Uint8Array;
  readonly manifestSignature: Uint8Array;
} {
  return {
    signature: Buffer.from(envelope.signature, 'base64'),
    manifestSignature: Buffer.from(envelope.manifest_signature, 'base64'),
  };
}
