/** WebAssembly module files: streamed through the scanner (src/core/wasm.ts), never held whole. */
import { createReadStream } from 'node:fs';
import { type WasmInfo, WasmScanner } from '../core/wasm.js';
import { AurionError, ioError } from '../errors.js';
import { openRegularFile } from './files.js';

/** Streams a module file through the scanner, 1 MiB at a time. IO_ERROR when it cannot be read. */
export async function scanWasmFile(path: string): Promise<WasmInfo> {
  const scanner = new WasmScanner({ source: path });
  // Only a regular file (a FIFO or device is IO_ERROR, never a hang); the stream closes the descriptor.
  const { fd } = await openRegularFile(path, 'WebAssembly module');
  const stream = createReadStream(path, { fd, highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream) scanner.push(chunk as Buffer);
  } catch (e) {
    stream.destroy();
    if (e instanceof AurionError) throw e;
    throw ioError(path, 'read WebAssembly module', e);
  }
  return scanner.finish();
}
