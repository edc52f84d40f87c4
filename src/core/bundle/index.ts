/** The bundle format (SPEC §4): one reader, one deterministic writer, the entry rules and limits they share. */
export { type BundleContents, checkModuleDigest, type ReadBundleOptions } from './entries.js';
export { DEFAULT_LIMITS, ENTRY, type EntryName, parseSize } from './format.js';
export { type ModuleSink, parseBundleBytes, parseBundleStream } from './reader.js';
export { type BundleSpec, type WrittenBundle, writeBundle } from './writer.js';
