/** Messages between the sandbox worker (worker.ts) and its host (wasm.ts). Types only. */

/** One run, posted by the host to a worker that has no run in progress. */
export interface SandboxRunMessage {
  readonly type: 'run';
  /**
   * What the module is: the verified SHA-256 of module.wasm and the memory cap applied to it
   * (src/io/sandbox/wasm.ts moduleKey). A worker keeps the module it compiled under its key and compiles again
   * for any other key.
   */
  readonly key: string;
  /** The module to run, memory already capped (src/core/job/memory-cap.ts); absent when the worker holds `key`. */
  readonly module?: Uint8Array;
  /** The bytes the plugin reads on stdin. */
  readonly stdin: Uint8Array;
  /** argv[0] (the plugin's name). */
  readonly name: string;
  /** The memory cap in bytes, to tell a trap at the cap from another trap. */
  readonly memoryBytes: number;
  readonly maxStdout: number;
  readonly maxStderr: number;
}

/** How the plugin ended, as the worker saw it. */
export type WorkerOutcome =
  /** `run` returned (its i32, 0 when it returns nothing) or the plugin called proc_exit. */
  | {
      readonly kind: 'completed';
      readonly via: 'return' | 'proc_exit';
      readonly status: number;
      readonly stdout: Uint8Array;
    }
  /** A trap (or another exception out of the module); `atMemoryCap` when memory was within a page of the cap. */
  | { readonly kind: 'trapped'; readonly message: string; readonly atMemoryCap: boolean }
  /** The plugin wrote more than maxStdout bytes on stdout and was stopped. */
  | { readonly kind: 'stdout-overflow' }
  /** An import the sandbox does not provide (module.name), found before anything ran. */
  | { readonly kind: 'unavailable'; readonly import: string }
  /** The module does not compile or instantiate here, or exports no function `run`. */
  | { readonly kind: 'unloadable'; readonly message: string };

export type WorkerMessage =
  | { readonly type: 'stderr'; readonly chunk: Uint8Array }
  | { readonly type: 'done'; readonly outcome: WorkerOutcome; readonly stderrTruncated: boolean };
