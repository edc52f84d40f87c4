/**
 * aurion-plugin as a library. The CLI commands are thin wrappers over these functions.
 */

export {
  type BundleContents,
  type BundleSignatures,
  type BundleSpec,
  checkModuleDigest,
  DEFAULT_LIMITS,
  ENTRY,
  parseSize,
  type ReadBundleOptions,
  readBundle,
  rewriteBundle,
  type WrittenBundle,
  writeBundle,
} from './core/bundle/index.js';
export { type InitOptions, type InitResult, initProject } from './core/init.js';
export { type JsonNode, JsonParseError, parseJson, parseJsonNode } from './core/json.js';
export * from './core/types.js';
export { AurionError, type ErrorCode, EXIT_CODE_OF, type Issue, isAurionError } from './errors.js';
