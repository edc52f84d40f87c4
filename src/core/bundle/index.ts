/** The bundle format (SPEC §4): one reader, one deterministic writer, the limits they share. */
export { DEFAULT_LIMITS, ENTRY, type EntryName, parseSize } from './format.js';
export { type BundleContents, checkModuleDigest, type ReadBundleOptions, readBundle } from './reader.js';
export {
  type BundleSignatures,
  type BundleSpec,
  rewriteBundle,
  type WrittenBundle,
  writeBundle,
} from './writer.js';
