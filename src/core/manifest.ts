/**
 * The one manifest validator (SPEC §3). All rules live in schemas/manifest.schema.json (and, for manifests
 * inside bundles, schemas/bundle-manifest.schema.json); this module only reads bytes and reports.
 */
import { type AurionError, type Issue, issuesError } from '../errors.js';
import { bundleManifest, manifest as manifestValidator } from '../generated/validators.js';
import { readDocument, schemaIssues } from './schema.js';
import type { Manifest } from './types.js';

export interface ManifestContext {
  /** Where the manifest came from, for messages: a file path or `bundle.aurion:manifest.json`. */
  readonly source: string;
  /** true: the stricter in-bundle form (module.wasm with sha256 and size). */
  readonly inBundle?: boolean;
}

/** Validates a parsed value; throws MANIFEST_INVALID listing every problem with its JSON pointer. */
export function validateManifest(value: unknown, context: ManifestContext): Manifest {
  const issues = schemaIssues(context.inBundle === true ? bundleManifest : manifestValidator, value);
  if (issues.length > 0) throw invalid(context.source, issues);
  return value as Manifest;
}

/** Decodes and validates manifest bytes: strict UTF-8 without BOM, JSON without duplicate keys, the schema. */
export function parseManifest(bytes: Uint8Array, context: ManifestContext): Manifest {
  const { value, issues } = readDocument(
    bytes,
    context.inBundle === true ? bundleManifest : manifestValidator,
  );
  if (issues.length > 0) throw invalid(context.source, issues);
  return value as Manifest;
}

function invalid(source: string, issues: readonly Issue[]): AurionError {
  return issuesError(
    'MANIFEST_INVALID',
    `invalid manifest ${source}`,
    issues,
    'fix manifest.json; SPEC §3 and schemas/manifest.schema.json list every rule',
  );
}
