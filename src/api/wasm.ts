/** `aurion-plugin/wasm`: the streaming WebAssembly scanner and the module rules of `build` (SPEC §7). */
export {
  checkWasm,
  DEFAULT_MEMORY_MIB,
  type ExternKind,
  NONDETERMINISTIC_WASI_IMPORTS,
  nondeterministicImports,
  scanWasm,
  WASI_MODULE,
  WASM_PAGE_SIZE,
  type WasmCustomSection,
  type WasmExport,
  type WasmImport,
  type WasmInfo,
  type WasmMemory,
  WasmScanner,
  type WasmScannerOptions,
} from '../core/wasm.js';
export { scanWasmFile } from '../io/wasm-file.js';
