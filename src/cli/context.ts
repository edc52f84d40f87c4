import type { Output } from './output.js';

/** What a command's action gets from the CLI layer: the output, the environment, and its exit code. */
export interface Cli {
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
  /** For commands that report failure inside their result (verify): the exit code to end with. */
  exitCode: number;
  /** Thread ids of libuv's pool when the launcher could tell them (src/io/thread-pool.ts); else []. */
  readonly poolThreads: readonly number[];
}
