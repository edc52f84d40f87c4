/**
 * The local wasm sandbox of SPEC §8: the plugin runs in a worker thread (worker.ts) that the host stops at the
 * deadline with `worker.terminate()`, which interrupts even an endless loop. The memory cap is in the module
 * (src/core/job/memory-cap.ts); stdout and stderr are collected here within their caps.
 */
import { Worker } from 'node:worker_threads';
import type { SandboxInput, WorkerMessage, WorkerOutcome } from './protocol.js';

/** The most of the plugin's stderr passed through (the rest is dropped, and the cut is said). */
export const MAX_STDERR = 1024 * 1024;

export interface WasmRunOptions {
  readonly module: Uint8Array;
  readonly stdin: Uint8Array;
  readonly name: string;
  readonly memoryBytes: number;
  readonly timeoutMs: number;
  readonly maxStdout: number;
  /** The plugin's stderr, chunk by chunk as it writes it (at most MAX_STDERR in all). */
  readonly onStderr?: (chunk: Uint8Array) => void;
}

export type SandboxOutcome =
  | WorkerOutcome
  | { readonly kind: 'timed-out' }
  /** The worker itself failed (e.g. out of memory for its own heap). */
  | { readonly kind: 'crashed'; readonly message: string };

export interface SandboxRun {
  readonly outcome: SandboxOutcome;
  readonly stderrTruncated: boolean;
}

/**
 * The worker's script. The CLI runs from one bundle (dist/src/cli/main.bundle.cjs), where import.meta.url names
 * the bundle; the library runs from dist/src/io/sandbox/, next to the worker.
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('/main.bundle.cjs')
    ? new URL('../io/sandbox/worker.js', here)
    : new URL('./worker.js', here);
}

export function runWasmSandbox(options: WasmRunOptions): Promise<SandboxRun> {
  const workerData: SandboxInput = {
    module: options.module,
    stdin: options.stdin,
    name: options.name,
    memoryBytes: options.memoryBytes,
    maxStdout: options.maxStdout,
    maxStderr: MAX_STDERR,
  };
  return new Promise((resolve) => {
    // env: an empty process.env for the thread (the module's WASI environment is empty regardless);
    // stdout/stderr: the thread's own console output is not the user's.
    const worker = new Worker(workerUrl(), { workerData, env: {}, stdout: true, stderr: true });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const settle = (run: SandboxRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(run);
      void worker.terminate();
    };
    const timer = setTimeout(
      () => settle({ outcome: { kind: 'timed-out' }, stderrTruncated: false }),
      options.timeoutMs,
    );
    worker.on('message', (message: WorkerMessage) => {
      if (settled) return;
      if (message.type === 'stderr') options.onStderr?.(message.chunk);
      else settle({ outcome: message.outcome, stderrTruncated: message.stderrTruncated });
    });
    worker.on('error', (e) =>
      settle({ outcome: { kind: 'crashed', message: e.message }, stderrTruncated: false }),
    );
    worker.on('exit', (code) =>
      settle({
        outcome: { kind: 'crashed', message: `the sandbox stopped unexpectedly (exit code ${code})` },
        stderrTruncated: false,
      }),
    );
  });
}
