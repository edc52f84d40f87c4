import type { ProgressPhase } from '../ops/publish.js';
import type { Output, Progress } from './output.js';

/**
 * Progress lines for publish and pull: one per phase (reading the bundle, moving its bytes), created on the
 * first report, since only then the total is known. Output.progress decides whether to show anything at all
 * (a TTY, not --json, more than a few MiB).
 */
export function progressReporter(out: Output, labels: Record<ProgressPhase, string>) {
  let phase: ProgressPhase | undefined;
  let current: Progress | undefined;
  return {
    update: (next: ProgressPhase, done: number, total: number) => {
      if (next !== phase) {
        current?.end();
        phase = next;
        current = out.progress(labels[next], total);
      }
      current?.update(done);
    },
    end: () => {
      current?.end();
      current = undefined;
    },
  };
}
