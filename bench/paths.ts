/** Where the benchmark finds the project and keeps its inputs and results (both git-ignored). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the bench runs compiled from dist/bench/, so walk up to package.json). */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();
export const RESULTS = join(ROOT, 'bench-results');
/** Fetched packages and generated inputs: large, regenerated on demand, never committed. */
export const CACHE = process.env['AURION_BENCH_CACHE'] ?? join(RESULTS, 'cache');
export const BIN = join(ROOT, 'bin', 'aurion-plugin.js');
/** The Python scripts (floors, runner) stay in bench/: tsc compiles only the TypeScript. */
export const BENCH_SRC = join(ROOT, 'bench');
