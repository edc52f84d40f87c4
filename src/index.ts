/**
 * aurion-plugin as a library. The CLI commands are thin wrappers over these functions.
 */

export { type CacheKey, type CacheKeyInput, computeCacheKey } from './core/cachekey.js';
export {
  type CanonicalJsonOptions,
  canonicalJson,
  canonicalJsonNode,
  canonicalNumber,
  formatF64,
  parseSerdeNumber,
  type SerdeNumber,
} from './core/canonical-json.js';
export { type InitOptions, type InitResult, initProject } from './core/init.js';
export { type JsonNode, JsonParseError, parseJson, parseJsonNode } from './core/json.js';
export * from './core/types.js';
export {
  checkWasm,
  DEFAULT_MEMORY_MIB,
  type ExternKind,
  scanWasm,
  scanWasmFile,
  WASI_MODULE,
  WASM_PAGE_SIZE,
  type WasmCustomSection,
  type WasmExport,
  type WasmImport,
  type WasmInfo,
  type WasmMemory,
  WasmScanner,
  type WasmScannerOptions,
} from './core/wasm.js';
export { AurionError, type ErrorCode, EXIT_CODE_OF, type Issue, isAurionError } from './errors.js';
