/**
 * Whole-process measurements. Commands of one group run as alternating rounds (A B A B ..., the first command
 * rotating each round) by bench/runner.py, which times each process from spawn to reap and reads its peak RSS
 * from wait4 — so both sides of a ratio see the same machine load, page cache and CPU frequency.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_SRC } from './paths.js';

/** `{n}` in argv (and before) is replaced by a number unique to each run: a fresh repository every time. */
export interface Command {
  readonly id: string;
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Environment variables removed for this command. */
  readonly unset?: readonly string[];
  /** Run untimed before each run of this command (e.g. restore a registry); `{n}` as in argv. */
  readonly before?: readonly string[];
}

export interface Sample {
  readonly ms: number;
  /** User + system CPU time of the process, all threads: a diagnostic that load disturbs less than wall time. */
  readonly cpu_ms: number;
  readonly rss_kib: number;
}

export interface Stats {
  readonly runs: number;
  readonly median_ms: number;
  readonly min_ms: number;
  readonly max_ms: number;
  readonly median_cpu_ms: number;
  /** Largest peak RSS over the runs, MiB. */
  readonly peak_rss_mib: number;
  readonly samples_ms: number[];
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function stats(samples: readonly Sample[]): Stats {
  const ms = samples.map((s) => s.ms);
  return {
    runs: samples.length,
    median_ms: round(median(ms)),
    min_ms: round(Math.min(...ms)),
    max_ms: round(Math.max(...ms)),
    median_cpu_ms: round(median(samples.map((s) => s.cpu_ms))),
    peak_rss_mib: round(Math.max(...samples.map((s) => s.rss_kib)) / 1024),
    samples_ms: ms.map(round),
  };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Runs `commands` as `rounds` alternating rounds after `warmup` discarded ones; stats per command id. */
export function alternate(commands: readonly Command[], rounds: number, warmup = 1): Record<string, Stats> {
  const out = execFileSync('python3', [join(BENCH_SRC, 'runner.py')], {
    input: JSON.stringify({ rounds, warmup, commands }),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const { samples } = JSON.parse(out) as { samples: Record<string, Sample[]> };
  return Object.fromEntries(Object.entries(samples).map(([id, s]) => [id, stats(s)]));
}
