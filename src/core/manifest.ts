/**
 * The one manifest validator (SPEC §3). All rules live in schemas/manifest.schema.json (and, for manifests
 * inside bundles, schemas/bundle-manifest.schema.json); this module only reads bytes and reports.
 */
import { AurionError, type Issue } from '../errors.js';
import { bundleManifest, manifest as manifestValidator } from '../generated/validators.js';
import { decodeUtf8, JsonParseError, parseJson } from './json.js';
import { schemaIssues } from './schema.js';
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
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw invalid(context.source, [
      { at: '', message: 'starts with a UTF-8 byte order mark; save it without BOM' },
    ]);
  }
  let text: string;
  try {
    text = decodeUtf8(bytes);
  } catch {
    throw invalid(context.source, [{ at: '', message: 'is not valid UTF-8' }]);
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (e) {
    if (e instanceof JsonParseError) throw invalid(context.source, [{ at: e.pointer, message: e.message }]);
    throw e;
  }
  return validateManifest(value, context);
}

function invalid(source: string, issues: readonly Issue[]): AurionError {
  const first = issues[0]!;
  const headline =
    issues.length === 1
      ? `invalid manifest ${source}: ${first.at === '' ? '' : `${first.at} `}${first.message}`
      : `invalid manifest ${source}: ${issues.length} problems`;
  return new AurionError('MANIFEST_INVALID', headline, {
    issues: issues.length === 1 ? [] : issues,
    hint: 'fix manifest.json; SPEC §3 and schemas/manifest.schema.json list every rule',
  });
}
