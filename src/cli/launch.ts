/**
 * Starts the CLI from its bundle with V8's code cache. Node 20 has no compile cache for modules, so the build
 * (scripts/build.mjs) ships the CLI as one CommonJS bundle, dist/src/cli/main.bundle.cjs, and the code V8
 * compiled for it during a training run of the main commands, main.bundle.cache: with it, a short command
 * skips most of its parsing and compiling (docs/performance.md). V8 rejects a cache made by another V8 (another
 * Node.js version) and then compiles the bundle as usual.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import type { Worker } from 'node:worker_threads';
import { startSandboxThread } from '../io/sandbox/wasm.js';
import { startThreadPool } from '../io/thread-pool.js';

const here = dirname(fileURLToPath(import.meta.url));
export const BUNDLE = join(here, 'main.bundle.cjs');
export const CODE_CACHE = join(here, 'main.bundle.cache');

export interface LoadedCli {
  /** The CLI's main (src/cli/main.ts) from the bundle: argv without `node` and the script; the exit code. */
  readonly main: (
    argv: readonly string[],
    env?: NodeJS.ProcessEnv,
    runtime?: { readonly poolThreads?: readonly number[]; readonly sandboxThread?: Worker },
  ) => Promise<number>;
  /** Whether a code cache was there and V8 accepted it. */
  readonly cacheAccepted: boolean;
  /** Writes the code compiled so far as the code cache (the build's training run only). */
  saveCache(): void;
}

export function loadCli(): LoadedCli {
  const source = readFileSync(BUNDLE, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(CODE_CACHE);
  } catch {
    cachedData = undefined; // no cache (not trained): compile as usual
  }
  // The wrapper stays on the bundle's first line, so stack traces keep the bundle's line numbers.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: BUNDLE,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const module = { exports: {} as { main?: LoadedCli['main'] } };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, here);
  const main = module.exports.main;
  if (typeof main !== 'function')
    throw new Error(`${BUNDLE} does not export main; rebuild with npm run build`);
  return {
    main,
    cacheAccepted: cachedData !== undefined && script.cachedDataRejected !== true,
    saveCache() {
      const tmp = `${CODE_CACHE}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, CODE_CACHE);
    },
  };
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves with its exit code. Called first
 * thing by bin/aurion-plugin.js, before anything has used libuv's thread pool: it starts the pool and notes
 * its threads (src/io/thread-pool.ts).
 */
export function launch(argv: readonly string[]): Promise<number> {
  const poolThreads = startThreadPool();
  // `run` of a wasm plugin needs a sandbox thread (src/io/sandbox/wasm.ts); started now, its start-up overlaps
  // loading the CLI, reading the keys and verifying the bundle. It is handed a module only after verification;
  // unused (another command after all, a container bundle, a refusal), it ends with the process.
  const sandboxThread =
    argv[0] === 'run' && !argv.includes('--print-command') ? startSandboxThread() : undefined;
  return loadCli().main(argv, process.env, {
    poolThreads,
    ...(sandboxThread === undefined ? {} : { sandboxThread }),
  });
}

export { lowerThreadPriority, startThreadPool } from '../io/thread-pool.js';
