/**
 * The worker side of engine.ts: fuzzes one target with fast-check in batches (seed, seed + 1, ...) until the
 * run or time budget is spent or a failure is found, publishing each input to shared memory before running it.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import {
  type Finding,
  type FuzzOptions,
  type FuzzReport,
  judge,
  loadCorpus,
  MAX_SHARED_INPUT,
} from './engine.js';
import { fuzzInputs } from './mutate.js';
import type { FuzzTarget } from './targets.js';

const { name, options, control, data, targets } = (workerData ?? {}) as {
  name: string;
  targets: string;
  options: FuzzOptions;
  control: Int32Array;
  data: Uint8Array;
};

const BATCH = 100;

async function main(): Promise<FuzzReport> {
  const { TARGETS } = (await import(targets)) as { TARGETS: readonly FuzzTarget[] };
  const target = TARGETS.find((t) => t.name === name);
  if (target === undefined) throw new Error(`no fuzzing target ${name}`);
  const seeds = loadCorpus(name).map((s) => s.bytes);
  const inputs = fuzzInputs(seeds);
  const outcomes: Record<string, number> = {};
  const count = (code: string) => {
    outcomes[code] = (outcomes[code] ?? 0) + 1;
  };
  const started = performance.now();
  const deadline =
    options.seconds === undefined ? Number.POSITIVE_INFINITY : started + options.seconds * 1000;
  const maxRuns = options.runs ?? Number.POSITIVE_INFINITY;
  let runs = 0;
  let shrinking = false;
  let finding: Finding | undefined;

  const property = fc.asyncProperty(inputs, async (input) => {
    const length = Math.min(input.length, MAX_SHARED_INPUT);
    data.set(input.subarray(0, length));
    Atomics.store(control, 1, length);
    Atomics.add(control, 0, 1);
    if (!shrinking) runs++;
    const found = await judge(target, input, options.slowMs, shrinking ? undefined : count);
    if (found !== undefined) {
      shrinking = true;
      finding = found;
      throw new Error(`${found.kind}: ${found.message}`);
    }
  });

  for (let batch = 0; runs < maxRuns && performance.now() < deadline; batch++) {
    const seed = options.seed + batch;
    const numRuns = Math.min(BATCH, maxRuns - runs);
    const result = await fc.check(property, { seed, numRuns, endOnFailure: false });
    if (result.failed) {
      const input = result.counterexample?.[0] ?? Buffer.alloc(0);
      // The last finding is the shrunk input's; judge it again so message and input match.
      const last = (await judge(target, input, options.slowMs)) ?? finding!;
      return {
        target: name,
        seeds: seeds.length,
        runs,
        ms: performance.now() - started,
        outcomes,
        failure: { ...last, input, seed, path: result.counterexamplePath ?? '' },
      };
    }
  }
  return { target: name, seeds: seeds.length, runs, ms: performance.now() - started, outcomes };
}

// `node --test dist/test/` also loads this file as a test file, in the main thread: nothing to do there.
if (!isMainThread) {
  // The main thread terminates the worker once it has the report.
  void main().then((report) => parentPort!.postMessage({ type: 'done', report }));
}
