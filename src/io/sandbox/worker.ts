/**
 * The sandbox's worker thread (SPEC §8): for each run the host posts, instantiates the plugin with WASI
 * preview 1 and nothing else — no preopened directories, an empty environment, argv = [name] — wires
 * stdin/stdout/stderr to memory, calls `_initialize` when exported, then `run`. The host (wasm.ts) stops this
 * thread at the deadline, and hands it another run only after a run that completed, and only of the same module
 * under the same memory cap (the same key): every run gets a fresh instance, memory and WASI state; what
 * carries over is the compiled module, which is immutable.
 *
 * Standard streams never reach the host's file descriptors: fd_read on 0 and fd_write on 1 and 2 are served
 * here from and to memory, and node:wasi's own descriptors for them are the null device, so nothing else a
 * plugin does with fds 0-2 touches the host's terminal or pipes.
 */
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { devNull } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { SandboxRunMessage, WorkerMessage, WorkerOutcome } from './protocol.js';

// The thread's own console output is not the user's, and the host does not read it (wasm.ts): dropped here.
process.stdout.write = (() => true) as typeof process.stdout.write;
process.stderr.write = (() => true) as typeof process.stderr.write;

// node:wasi announces itself as experimental on first use; the user's output is not the place for that.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === 'ExperimentalWarning' && /WASI/.test(text)) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// Required after the patch above (an import would be hoisted before it). The worker runs as CommonJS
// (worker.cjs, built by scripts/build.mjs): no ES module loader in the thread (docs/performance.md).
const { WASI } = createRequire(import.meta.url)('node:wasi') as typeof import('node:wasi');

/** The part of the WebAssembly JS API used here (the project's TypeScript lib has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: (new (
    bytes: Uint8Array,
  ) => object) & {
    imports(module: object): Array<{ module: string; name: string; kind: string }>;
  };
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const isMemory = (value: unknown): value is WasmMemory =>
  value instanceof (WebAssembly.Memory as unknown as new () => object);

// WASI errno values (preview 1).
const ESUCCESS = 0;
const EBADF = 8;
const EFAULT = 21;
const ENOTSUP = 58;
const ESPIPE = 70;

/** Thrown through the module to stop it: proc_exit, or stdout over its cap. */
const EXIT = Symbol('proc_exit');
const STDOUT_FULL = Symbol('stdout full');

const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);

function finish(outcome: WorkerOutcome, stderrTruncated = false): void {
  post({ type: 'done', outcome, stderrTruncated });
}

/** The module compiled for the last run, under its key (verified module digest and memory cap). */
let compiled: { readonly key: string; readonly module: object } | undefined;

function main(input: SandboxRunMessage): void {
  if (compiled?.key !== input.key) {
    compiled = undefined;
    if (input.module === undefined) {
      finish({ kind: 'unloadable', message: 'the sandbox was given no module to compile' });
      return;
    }
    try {
      compiled = { key: input.key, module: new WebAssembly.Module(input.module) };
    } catch (e) {
      finish({ kind: 'unloadable', message: `the module does not compile: ${(e as Error).message}` });
      return;
    }
  }

  const nullIn = openSync(devNull, 'r');
  const nullOut = openSync(devNull, 'w');
  try {
    run(input, compiled.module, nullIn, nullOut);
  } finally {
    closeSync(nullIn);
    closeSync(nullOut);
  }
}

function run(input: SandboxRunMessage, module: object, nullIn: number, nullOut: number): void {
  const wasi = new WASI({
    version: 'preview1',
    args: [input.name],
    env: {},
    preopens: {},
    stdin: nullIn,
    stdout: nullOut,
    stderr: nullOut,
    returnOnExit: true,
  });
  const base = wasi.wasiImport as Record<string, (...args: number[]) => number>;

  // Everything the module imports must be a WASI preview 1 function; anything else is not provided locally.
  for (const imp of WebAssembly.Module.imports(module)) {
    if (
      imp.module !== 'wasi_snapshot_preview1' ||
      imp.kind !== 'function' ||
      !Object.hasOwn(base, imp.name)
    ) {
      finish({ kind: 'unavailable', import: `${imp.module}.${imp.name}` });
      return;
    }
  }

  let memory: WasmMemory | undefined;
  let stdinAt = 0;
  const stdout: Uint8Array[] = [];
  let stdoutSize = 0;
  let stderrKept = 0;
  let stderrTruncated = false;
  let exitStatus: number | undefined;

  /** The iovec list at `iovs` as views into memory (EFAULT when any lies outside it). */
  const iovecs = (iovs: number, count: number): Uint8Array[] | undefined => {
    if (memory === undefined) return undefined;
    const buffer = memory.buffer;
    const view = new DataView(buffer);
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const at = iovs + i * 8;
      if (at < 0 || at + 8 > buffer.byteLength) return undefined;
      const ptr = view.getUint32(at, true);
      const len = view.getUint32(at + 4, true);
      if (ptr + len > buffer.byteLength) return undefined;
      out.push(new Uint8Array(buffer, ptr, len));
    }
    return out;
  };
  const storeSize = (at: number, value: number): number => {
    if (memory === undefined || at < 0 || at + 4 > memory.buffer.byteLength) return EFAULT;
    new DataView(memory.buffer).setUint32(at, value, true);
    return ESUCCESS;
  };
  const std = (fd: number) => fd >= 0 && fd <= 2;

  const imports: Record<string, (...args: number[]) => number> = {
    ...base,
    fd_read(fd, iovs, count, nread) {
      if (!std(fd)) return base.fd_read!(fd, iovs, count, nread);
      if (fd !== 0) return EBADF;
      const buffers = iovecs(iovs, count);
      if (buffers === undefined) return EFAULT;
      let n = 0;
      for (const b of buffers) {
        const part = input.stdin.subarray(stdinAt, stdinAt + b.length);
        b.set(part);
        stdinAt += part.length;
        n += part.length;
        if (part.length < b.length) break;
      }
      return storeSize(nread, n);
    },
    fd_write(fd, iovs, count, nwritten) {
      if (!std(fd)) return base.fd_write!(fd, iovs, count, nwritten);
      if (fd === 0) return EBADF;
      const buffers = iovecs(iovs, count);
      if (buffers === undefined) return EFAULT;
      let n = 0;
      for (const b of buffers) {
        n += b.length;
        if (fd === 1) {
          stdoutSize += b.length;
          if (stdoutSize > input.maxStdout) throw STDOUT_FULL;
          stdout.push(b.slice());
        } else if (stderrKept < input.maxStderr) {
          const kept = b.subarray(0, input.maxStderr - stderrKept);
          stderrKept += kept.length;
          if (kept.length < b.length) stderrTruncated = true;
          if (kept.length > 0) post({ type: 'stderr', chunk: kept.slice() });
        } else if (b.length > 0) stderrTruncated = true;
      }
      return storeSize(nwritten, n);
    },
    // The standard streams are pipes to the plugin: no positions, and they cannot be closed or moved.
    fd_pread: (fd, ...rest) => (std(fd) ? ESPIPE : base.fd_pread!(fd, ...rest)),
    fd_pwrite: (fd, ...rest) => (std(fd) ? ESPIPE : base.fd_pwrite!(fd, ...rest)),
    fd_seek: (fd, ...rest) => (std(fd) ? ESPIPE : base.fd_seek!(fd, ...rest)),
    fd_tell: (fd, ...rest) => (std(fd) ? ESPIPE : base.fd_tell!(fd, ...rest)),
    fd_close: (fd) => (std(fd) ? ENOTSUP : base.fd_close!(fd)),
    fd_renumber: (from, to) => (std(from!) || std(to!) ? ENOTSUP : base.fd_renumber!(from!, to!)),
    proc_exit(status) {
      exitStatus = status! >>> 0;
      throw EXIT;
    },
  };

  let instance: { readonly exports: Record<string, unknown> };
  try {
    instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports });
  } catch (e) {
    finish({ kind: 'unloadable', message: `the module does not instantiate: ${(e as Error).message}` });
    return;
  }
  const exports = instance.exports;
  memory = isMemory(exports.memory) ? exports.memory : undefined;
  const runFn = exports.run;
  if (typeof runFn !== 'function') {
    finish({ kind: 'unloadable', message: 'the module exports no function run' });
    return;
  }
  // node:wasi's own functions (clocks, random, args, environ) need the memory; an object holding only it
  // hands it over without node:wasi calling anything itself: _initialize is called below, like run.
  wasi.initialize({ exports: { memory: memory ?? new WebAssembly.Memory({ initial: 0 }) } });

  const init = exports._initialize;
  let outcome: WorkerOutcome;
  try {
    if (typeof init === 'function') init();
    const returned: unknown = runFn();
    // A module with exception handling could catch the exit and carry on: the exit still counts.
    if (exitStatus !== undefined) throw EXIT;
    outcome = {
      kind: 'completed',
      via: 'return',
      status: typeof returned === 'number' ? returned : 0,
      stdout: Buffer.concat(stdout),
    };
  } catch (e) {
    if (e === EXIT || exitStatus !== undefined) {
      outcome = { kind: 'completed', via: 'proc_exit', status: exitStatus!, stdout: Buffer.concat(stdout) };
    } else if (e === STDOUT_FULL) {
      outcome = { kind: 'stdout-overflow' };
    } else {
      const size = memory?.buffer.byteLength ?? 0;
      outcome = {
        kind: 'trapped',
        message: e instanceof Error ? e.message : String(e),
        atMemoryCap: memory !== undefined && size + 65536 > input.memoryBytes,
      };
    }
  }
  finish(outcome, stderrTruncated);
}

port.on('message', (message: SandboxRunMessage) => {
  if (message.type === 'run') main(message);
});
