import { runRef } from '@kbisect/bisect';
import type { BuildJob } from '@kbisect/service';
import { aheadOf, buildsAhead } from './build-ahead-plan.js';
import type { BuildAheadQueue } from './build-ahead-queue.js';
import type { StepStore } from './step-store.js';

/**
 * After a step's kernel went to the lab: queue the kernels its verdicts
 * would ask for next, on the bisection as it stands now (the build took
 * minutes; other verdicts may have landed). Returns how many were queued.
 */
export async function queueBuildsAhead(store: Pick<StepStore, 'load'>, queue: Pick<BuildAheadQueue, 'enqueue'>, job: BuildJob, opts: { workerAllows: boolean; priority: number }): Promise<number> {
  if (!opts.workerAllows) return 0;
  const { replayed, fold } = await store.load(job.bisectionId);
  if (replayed.phase !== 'bisecting' || replayed.state.status !== 'running' || !fold.created || !buildsAhead(fold.created.request, true)) return 0;
  const runs = aheadOf(replayed.state, runRef(job));
  await queue.enqueue(job.bisectionId, runRef(job), runs, opts.priority);
  return runs.length;
}
