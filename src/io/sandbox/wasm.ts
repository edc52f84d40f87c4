/**
 * The local wasm sandbox of SPEC §8: the plugin runs in a worker thread (worker.ts) that the host stops at the
 * deadline with `worker.terminate()`, which interrupts even an endless loop. The memory cap is in the module
 * (src/core/job/memory-cap.ts); stdout and stderr are collected here within their caps.
 *
 * Starting a worker thread costs about 40 ms of CPU, most of a small plugin's run (docs/performance.md), so:
 * - `prestartSandbox` starts a worker while the bundle is still being read and verified; it is given the
 *   module only once the bundle has passed verification.
 * - A worker whose plugin completed is kept, idle and unreferenced (it does not keep the process alive), for
 *   the next run of the same module under the same memory cap — the same key (moduleKey): it keeps that module
 *   compiled. It is never given another key's run; a worker that timed out, trapped, overflowed stdout or failed
 *   in any other way is stopped, never reused. Each run still gets a fresh instance, memory and WASI state.
 */
import { Worker } from 'node:worker_threads';
import type { SandboxRunMessage, WorkerMessage, WorkerOutcome } from './protocol.js';

/** The most of the plugin's stderr passed through (the rest is dropped, and the cut is said). */
export const MAX_STDERR = 1024 * 1024;

export interface WasmRunOptions {
  /** moduleKey(verified module digest, memory cap): which compiled module and worker may serve this run. */
  readonly key: string;
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

/** The key of a module in the sandbox: its verified SHA-256 (module.wasm) and the memory cap written into it. */
export function moduleKey(moduleSha256: string, memoryBytes: number): string {
  return `sha256:${moduleSha256}/memory:${memoryBytes}`;
}

/**
 * The worker's script (worker.ts, built as CommonJS). The CLI runs from one bundle
 * (dist/src/cli/main.bundle.cjs) and its launcher (dist/src/cli/launch.cjs), where import.meta.url names those
 * files; the library runs from dist/src/io/sandbox/, next to the worker.
 */
function workerUrl(): URL {
  const here = import.meta.url;
  // worker.cjs: worker.ts as CommonJS (scripts/build.mjs), which starts without Node's ES module loader.
  return /\/cli\/(main\.bundle|launch)\.cjs$/.test(here)
    ? new URL('../io/sandbox/worker.cjs', here)
    : new URL('./worker.cjs', here);
}

/**
 * A new sandbox thread, idle and unreferenced: for the CLI's launcher, which starts one for `run` before it
 * loads the CLI and hands it over with adoptSandboxThread. It runs nothing until a run is posted to it.
 */
export function startSandboxThread(): Worker {
  // env: an empty process.env for the thread (the module's WASI environment is empty regardless);
  // stdout/stderr: the thread's own console output is not the user's. The worker writes none (worker.ts drops
  // it); the streams are not read, since reading them would keep the process alive while the worker is idle.
  const worker = new Worker(workerUrl(), { env: {}, stdout: true, stderr: true });
  worker.unref();
  return worker;
}

/** Takes a thread from startSandboxThread as the prestarted worker (or stops it when one is already there). */
export function adoptSandboxThread(worker: Worker): void {
  if (workerReady()) {
    void worker.terminate();
    return;
  }
  spare = track(worker);
}

/** A worker thread and the key of the module it holds compiled (none until its first run). */
interface SandboxWorker {
  readonly worker: Worker;
  key: string | undefined;
  /** The run in progress: where the worker's messages, errors and exit go. */
  current:
    | ((event: WorkerMessage | { type: 'error'; error: Error } | { type: 'exit'; code: number }) => void)
    | undefined;
  dead: boolean;
}

/** Idle workers kept for reuse, by key; the oldest is stopped beyond this many. */
const MAX_IDLE = 2;
const idle = new Map<string, SandboxWorker>();
/** A started worker that holds no module yet (prestartSandbox). */
let spare: SandboxWorker | undefined;

/** A worker waits already: a prestarted one, or a kept one (likely the same plugin again: no second thread). */
function workerReady(): boolean {
  return (spare !== undefined && !spare.dead) || idle.size > 0;
}

function startWorker(): SandboxWorker {
  return track(startSandboxThread());
}

function track(worker: Worker): SandboxWorker {
  const w: SandboxWorker = { worker, key: undefined, current: undefined, dead: false };
  worker.on('message', (message: WorkerMessage) => w.current?.(message));
  worker.on('error', (error) => {
    w.dead = true;
    w.current?.({ type: 'error', error });
  });
  worker.on('exit', (code) => {
    w.dead = true;
    if (spare === w) spare = undefined;
    if (w.key !== undefined && idle.get(w.key) === w) idle.delete(w.key);
    w.current?.({ type: 'exit', code });
  });
  // After the listeners: adding a 'message' listener references the worker again.
  worker.unref();
  return w;
}

function stop(w: SandboxWorker): void {
  w.dead = true;
  w.current = undefined;
  void w.worker.terminate();
}

/**
 * Starts a worker now, so that its start-up overlaps reading and verifying the bundle. It holds nothing and
 * runs nothing until runWasmSandbox hands it a verified module; it does not keep the process alive. Nothing is
 * started when one is already waiting, or when a kept worker is idle (likely the same plugin again).
 */
export function prestartSandbox(): void {
  if (workerReady()) return;
  spare = startWorker();
}

/** A worker for a run of `key`: the idle one holding that key, else the prestarted one, else a new one. */
function takeWorker(key: string): SandboxWorker {
  const kept = idle.get(key);
  if (kept !== undefined) {
    idle.delete(key);
    if (!kept.dead && kept.key === key) return kept;
    stop(kept);
  }
  if (spare !== undefined) {
    const w = spare;
    spare = undefined;
    if (!w.dead && w.key === undefined) return w;
    stop(w);
  }
  return startWorker();
}

/** Keeps a worker whose run completed for the next run of its key. */
function keep(w: SandboxWorker): void {
  if (w.dead || w.key === undefined) {
    stop(w);
    return;
  }
  const other = idle.get(w.key);
  if (other !== undefined) stop(other);
  idle.set(w.key, w);
  while (idle.size > MAX_IDLE) {
    const [oldestKey, oldest] = idle.entries().next().value as [string, SandboxWorker];
    idle.delete(oldestKey);
    stop(oldest);
  }
  w.worker.unref();
}

export function runWasmSandbox(options: WasmRunOptions): Promise<SandboxRun> {
  const w = takeWorker(options.key);
  const holds = w.key === options.key;
  w.key = options.key;
  w.worker.ref();
  const message: SandboxRunMessage = {
    type: 'run',
    key: options.key,
    ...(holds ? {} : { module: options.module }),
    stdin: options.stdin,
    name: options.name,
    memoryBytes: options.memoryBytes,
    maxStdout: options.maxStdout,
    maxStderr: MAX_STDERR,
  };
  return new Promise((resolve) => {
    let settled = false;
    const settle = (run: SandboxRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      w.current = undefined;
      // Only a worker whose plugin completed serves another run (of the same key); any other is stopped.
      if (run.outcome.kind === 'completed') keep(w);
      else stop(w);
      resolve(run);
    };
    const timer = setTimeout(
      () => settle({ outcome: { kind: 'timed-out' }, stderrTruncated: false }),
      options.timeoutMs,
    );
    w.current = (event) => {
      switch (event.type) {
        case 'stderr':
          options.onStderr?.(event.chunk);
          return;
        case 'done':
          settle({ outcome: event.outcome, stderrTruncated: event.stderrTruncated });
          return;
        case 'error':
          settle({ outcome: { kind: 'crashed', message: event.error.message }, stderrTruncated: false });
          return;
        case 'exit':
          settle({
            outcome: {
              kind: 'crashed',
              message: `the sandbox stopped unexpectedly (exit code ${event.code})`,
            },
            stderrTruncated: false,
          });
          return;
      }
    };
    if (w.dead) {
      settle({
        outcome: { kind: 'crashed', message: 'the sandbox stopped before the run' },
        stderrTruncated: false,
      });
      return;
    }
    w.worker.postMessage(message);
  });
}
