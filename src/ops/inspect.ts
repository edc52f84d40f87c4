/**
 * inspectBundle: a bundle by path through the one reader, module.wasm streamed through the WebAssembly scanner
 * while it is hashed, then the auditor's report (src/core/inspect.ts).
 */
import { type InspectOptions, type InspectReport, inspectContents } from '../core/inspect.js';
import { type WasmInfo, WasmScanner } from '../core/wasm.js';
import { readBundle } from '../io/bundle-file.js';

/**
 * Reads a bundle through the one reader, scanning module.wasm as it streams by, and reports on it.
 * IO_ERROR / BUNDLE_INVALID / MANIFEST_INVALID from the reader, WASM_INVALID for a module that does not parse
 * or that the engine does not validate (function bodies included).
 */
export async function inspectBundle(path: string, options: InspectOptions = {}): Promise<InspectReport> {
  const scanner = new WasmScanner({ source: `${path}:module.wasm` });
  let scanError: unknown;
  const bundle = await readBundle(path, {
    hashBundle: true,
    ...(options.maxModuleSize === undefined ? {} : { maxModuleSize: options.maxModuleSize }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    onModuleChunk: (chunk) => {
      // Keep reading (and hashing) after a scan error; the reader's own checks still decide first.
      if (scanError !== undefined) return;
      try {
        scanner.push(chunk);
      } catch (e) {
        scanError = e;
      }
    },
  });
  let wasm: WasmInfo | undefined;
  if (bundle.manifest.runtime === 'wasm') {
    if (scanError !== undefined) throw scanError;
    wasm = scanner.finish();
  }
  return inspectContents(bundle, wasm, options);
}
