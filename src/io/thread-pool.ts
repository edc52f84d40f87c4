/**
 * libuv's thread pool as Linux shows it, for one scheduling hint. A verify of many bundles reads and parses
 * them on the main thread while the pool checks their signatures; on a machine with few cores, the pool
 * threads that the main thread wakes take its core from it, and the main thread sets the pace of the whole
 * batch (docs/performance.md). Linux keeps a priority per thread, so a batch lowers the pool's: the main
 * thread keeps its core, the pool gets the rest. Nothing here matters for correctness: on other systems, or
 * when the pool's threads cannot be told apart from the others, nothing is done.
 */
import { readdirSync, stat } from 'node:fs';
import { setPriority } from 'node:os';

const TASKS = '/proc/self/task';

/** The nice value a batch gives the pool's threads (0 is normal, 19 the lowest priority). */
export const POOL_NICE = 10;

function threadIds(): Set<string> | undefined {
  try {
    return new Set(readdirSync(TASKS));
  } catch {
    return undefined;
  }
}

/**
 * Starts libuv's thread pool and returns the ids of its threads. libuv starts all of them at the pool's first
 * job and waits until they run, so the threads that appear across that first job are the pool's. Returns []
 * when that cannot be known: not Linux, no /proc, or the pool was already running (then the new threads are
 * not exactly the pool's size).
 */
export function startThreadPool(): readonly number[] {
  if (process.platform !== 'linux') return [];
  const before = threadIds();
  if (before === undefined) return [];
  stat(TASKS, () => {});
  const after = threadIds();
  if (after === undefined) return [];
  const created = [...after].filter((id) => !before.has(id)).map(Number);
  const size = Number(process.env['UV_THREADPOOL_SIZE'] ?? '4');
  return created.length === size ? created : [];
}

/** Lowers these threads' priority to POOL_NICE; best effort (a thread may be gone, a limit may forbid it). */
export function lowerThreadPriority(threads: readonly number[]): void {
  for (const id of threads) {
    try {
      setPriority(id, POOL_NICE);
    } catch {
      // a scheduling hint only
    }
  }
}
