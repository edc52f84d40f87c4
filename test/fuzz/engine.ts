/**
 * The fuzzing engine: runs each target in a worker thread with fast-check, watched from the main thread.
 *
 * Oracle, per input: the parser returns, or throws an AurionError whose code is not INTERNAL. Any other
 * exception (TypeError, RangeError, a Disagreement between whole and chunked parsing, an INTERNAL error), a run
 * slower than `slowMs`, or no progress for `hangMs` (an endless loop: the watchdog terminates the worker) is a
 * failure. Crashes and slow runs are shrunk by fast-check to a minimal input; a hang is reported with the input
 * that was running (copied by the worker into shared memory before each run).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AurionError } from '../../src/errors.js';
import { ROOT } from '../helpers.js';
import type { FuzzTarget } from './targets.js';

export const CORPUS_DIR = join(ROOT, 'test', 'fuzz', 'corpus');

/** The seed files of a target, sorted by name (deterministic runs). */
export function loadCorpus(target: string): Array<{ name: string; bytes: Buffer }> {
  let names: string[];
  try {
    names = readdirSync(join(CORPUS_DIR, target)).sort();
  } catch {
    return [];
  }
  return names.map((name) => ({ name, bytes: readFileSync(join(CORPUS_DIR, target, name)) }));
}

/** What the oracle found wrong with one input. */
export interface Finding {
  readonly kind: 'crash' | 'slow' | 'hang';
  readonly message: string;
}

/** Runs one input through a target and judges it; undefined when the parser behaved. */
export async function judge(
  target: FuzzTarget,
  input: Buffer,
  slowMs: number,
  onRefusal?: (code: string) => void,
): Promise<Finding | undefined> {
  const start = performance.now();
  try {
    await target.run(input);
    onRefusal?.('accepted');
  } catch (e) {
    if (!(e instanceof AurionError) || e.code === 'INTERNAL') {
      const err = e as Error;
      return {
        kind: 'crash',
        message: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}\n${err?.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`,
      };
    }
    onRefusal?.(e.code);
  }
  const ms = performance.now() - start;
  if (ms > slowMs) return { kind: 'slow', message: `took ${ms.toFixed(0)} ms (the bound is ${slowMs} ms)` };
  return undefined;
}

export interface FuzzOptions {
  /** fast-check seed of the first batch; each later batch uses the next integer. */
  readonly seed: number;
  /** Stop after this many inputs... */
  readonly runs?: number;
  /** ...or after this many seconds (at a batch boundary), whichever comes first. */
  readonly seconds?: number;
  /** A single input slower than this is a failure. */
  readonly slowMs: number;
  /** No progress for this long is a hang: the worker is stopped. */
  readonly hangMs: number;
}

export interface FuzzReport {
  readonly target: string;
  readonly seeds: number;
  readonly runs: number;
  readonly ms: number;
  /** Inputs accepted, and refusals per AurionError code. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly failure?: Finding & {
    /** The (shrunk, for crash and slow) failing input. */
    readonly input: Buffer;
    /** fast-check seed and path that reproduce it (crash and slow). */
    readonly seed?: number;
    readonly path?: string;
  };
}

/** Largest input the worker copies into shared memory for the watchdog. */
export const MAX_SHARED_INPUT = 4 * 1024 * 1024;

/** Messages from the worker. */
export type WorkerMessage = { readonly type: 'done'; readonly report: FuzzReport };

/**
 * Fuzzes one target in a worker thread (worker.ts) under a watchdog. `targets` is the module whose `TARGETS`
 * table holds it (default: targets.js; the harness's own tests pass another).
 */
export function fuzzTarget(
  name: string,
  options: FuzzOptions,
  targets: URL = new URL('./targets.js', import.meta.url),
): Promise<FuzzReport> {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const data = new Uint8Array(new SharedArrayBuffer(MAX_SHARED_INPUT));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { name, options, control, data, targets: targets.href },
    });
    let settled = false;
    let lastCounter = -1;
    let lastChange = performance.now();
    const finish = (report: FuzzReport | Error) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      if (report instanceof Error) reject(report);
      else resolve(report);
    };
    const watchdog = setInterval(
      () => {
        const counter = Atomics.load(control, 0);
        const now = performance.now();
        if (counter !== lastCounter) {
          lastCounter = counter;
          lastChange = now;
          return;
        }
        if (now - lastChange < options.hangMs) return;
        const length = Math.min(Atomics.load(control, 1), MAX_SHARED_INPUT);
        const input = Buffer.from(data.subarray(0, length));
        void worker.terminate();
        finish({
          target: name,
          seeds: loadCorpus(name).length,
          runs: counter,
          ms: now - started,
          outcomes: {},
          failure: {
            kind: 'hang',
            message: `no progress for ${options.hangMs} ms on input ${counter}`,
            input,
          },
        });
      },
      Math.min(250, options.hangMs / 4),
    );
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'done') {
        const r = m.report;
        void worker.terminate();
        finish({
          ...r,
          ...(r.failure === undefined
            ? {}
            : { failure: { ...r.failure, input: Buffer.from(r.failure.input) } }),
        });
      }
    });
    worker.on('error', (e) => finish(e));
    worker.on('exit', (code) => {
      if (!settled) finish(new Error(`the fuzzing worker of ${name} exited (code ${code}) without a report`));
    });
  });
}

/** One line of per-target statistics. */
export function formatReport(r: FuzzReport): string {
  const outcomes = Object.entries(r.outcomes)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const rate = r.ms > 0 ? Math.round((r.runs * 1000) / r.ms) : 0;
  return (
    `${r.target.padEnd(17)} ${String(r.runs).padStart(8)} inputs  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ` +
    `${String(rate).padStart(6)}/s  seeds ${r.seeds}  ${r.failure === undefined ? 'ok' : r.failure.kind.toUpperCase()}` +
    (outcomes === '' ? '' : `  (${outcomes})`)
  );
}

/** A failure as text: what happened, how to reproduce it, and the input (hex, truncated when long). */
export function formatFailure(r: FuzzReport): string {
  const f = r.failure;
  if (f === undefined) return '';
  const hex = f.input.toString('hex');
  return [
    `${r.target}: ${f.kind}: ${f.message}`,
    ...(f.seed === undefined ? [] : [`  reproduce: fast-check seed ${f.seed}, path "${f.path}"`]),
    `  input (${f.input.length} bytes): ${hex.length > 2000 ? `${hex.slice(0, 2000)}...` : hex}`,
  ].join('\n');
}
