/** `aurion-plugin/wasm`: the streaming WebAssembly scanner and the module rules of `build` (SPEC §7). */
export {
  checkWasm,
  DEFAULT_MEMORY_MIB,
  NONDETERMINISTIC_WASI_IMPORTS,
  nondeterministicImports,
  WASI_MODULE,
  WASM_PAGE_SIZE,
} from '../core/wasm/rules.js';
export {
  type ExternKind,
  scanWasm,
  type WasmCustomSection,
  type WasmExport,
  type WasmImport,
  type WasmInfo,
  type WasmMemory,
  WasmScanner,
  type WasmScannerOptions,
} from '../core/wasm/scanner.js';
export { scanWasmFile } from '../io/wasm-file.js';
