/**
 * `aurion-plugin/bundle`: the bundle format's building blocks (SPEC §3-§5) — the one reader over bytes,
 * streams and files, the deterministic writer, manifest and signature-envelope parsing, and the checks that
 * verify and inspect run on a bundle already read.
 */
export {
  type BundleContents,
  type BundleSpec,
  checkModuleDigest,
  DEFAULT_LIMITS,
  ENTRY,
  type EntryName,
  type ModuleSink,
  parseBundleBytes,
  parseBundleStream,
  parseSize,
  type ReadBundleOptions,
  type WrittenBundle,
  writeBundle,
} from '../core/bundle/index.js';
export {
  type Envelope,
  envelopeSignatures,
  manifestDigest,
  parseEnvelope,
  type SignedContent,
  type SubjectKind,
  serializeEnvelope,
  subjectOf,
} from '../core/envelope.js';
export {
  type InspectOptions,
  type InspectReport,
  inspectContents,
  type PluginInfoJson,
  pluginInfoJson,
  type RegisterRequestJson,
  registerRequestJson,
} from '../core/inspect.js';
export { type ManifestContext, parseManifest, validateManifest } from '../core/manifest.js';
export { verifyContents } from '../core/verify.js';
export { type BundleSignatures, readBundle, rewriteBundle, scanBundle } from '../io/bundle-file.js';
