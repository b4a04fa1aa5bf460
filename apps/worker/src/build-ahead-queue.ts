import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { runFields, runKey, runRef, type RunRef } from '@kbisect/bisect';
import { BUILD_AHEAD_PRIORITY_OFFSET, KEEP_JOBS, jobIds, type BuildAheadJob, type Keys, type StepRun } from '@kbisect/service';

/** States of a job nobody has picked up yet: it can be removed outright. */
export const NOT_STARTED: readonly string[] = ['waiting', 'prioritized', 'delayed'];

/**
 * Builds ahead on the build queue: queued at low priority, remembered per
 * bisection (a Redis hash) so the orchestrator can drop the moot ones —
 * removed while waiting, stopped through a flag while building.
 */
export interface BuildAheadQueue {
  /** Queues builds of `runs` while `after` is tested; a run already queued ahead is not queued twice. */
  enqueue(bisectionId: string, after: RunRef, runs: readonly RunRef[], priority: number): Promise<void>;
  /** Drops every build ahead of the bisection whose run is not in `useful()` (asked only when there is one). Returns the dropped runs. */
  dropMoot(bisectionId: string, useful: () => ReadonlySet<string>): Promise<RunRef[]>;
  /** Whether the orchestrator dropped this build ahead while it was building. */
  isDropped(run: StepRun): Promise<boolean>;
  /** Forgets a build ahead that ended, whichever way. */
  finished(run: StepRun): Promise<void>;
  /**
   * Before a step's own build: a build ahead of the same run still waiting is
   * removed (the step builds it now); one building is waited for, so the step
   * takes its kernel from the artifact cache instead of building it twice.
   */
  settle(run: StepRun, opts?: { pollMs?: number; timeoutMs?: number }): Promise<'none' | 'removed' | 'waited'>;
}

export function buildAheadQueue(queue: Queue, redis: Redis, keys: Keys): BuildAheadQueue {
  const idOf = (run: StepRun): string => jobIds.buildAhead(run);
  const forget = async (run: StepRun): Promise<void> => {
    await redis.hdel(keys.buildsAhead(run.bisectionId), runKey(run));
  };
  return {
    async enqueue(bisectionId, after, runs, priority) {
      for (const ref of runs) {
        const data: BuildAheadJob = { kind: 'build-ahead', bisectionId, ...runFields(ref), after: runFields(after) };
        // Kept jobs keep their id: one that ran (or was stopped) is not queued again; the step's own build covers it.
        if (await queue.getJob(idOf(data))) continue;
        await redis.del(keys.dropBuildAhead(bisectionId, runKey(ref)));
        await redis.hset(keys.buildsAhead(bisectionId), runKey(ref), JSON.stringify(runFields(ref)));
        // One attempt: a build ahead that fails is left to the step's own build, which has retries.
        await queue.add('build-ahead', data, { jobId: idOf(data), priority: BUILD_AHEAD_PRIORITY_OFFSET + priority, attempts: 1, ...KEEP_JOBS });
      }
    },
    async dropMoot(bisectionId, useful) {
      const members = await redis.hgetall(keys.buildsAhead(bisectionId));
      const entries = Object.entries(members);
      if (entries.length === 0) return [];
      const keep = useful();
      const dropped: RunRef[] = [];
      for (const [key, json] of entries) {
        if (keep.has(key)) continue;
        const run: StepRun = { bisectionId, ...(JSON.parse(json) as RunRef) };
        // The flag first: a job picked up between the state read and the remove still sees it.
        await redis.set(keys.dropBuildAhead(bisectionId, key), '1', 'EX', 3600);
        const job = await queue.getJob(idOf(run));
        if (job && NOT_STARTED.includes(await job.getState())) await job.remove().catch(() => undefined);
        await forget(run);
        dropped.push(runRef(run));
      }
      return dropped;
    },
    async isDropped(run) {
      return (await redis.exists(keys.dropBuildAhead(run.bisectionId, runKey(run)))) === 1;
    },
    async finished(run) {
      await forget(run);
      await redis.del(keys.dropBuildAhead(run.bisectionId, runKey(run)));
    },
    async settle(run, opts) {
      const deadline = Date.now() + (opts?.timeoutMs ?? 3_600_000);
      let waited = false;
      for (;;) {
        const job = await queue.getJob(idOf(run));
        const state = job ? await job.getState() : 'unknown';
        if (job && NOT_STARTED.includes(state)) {
          await job.remove().catch(() => undefined);
          await forget(run);
          return 'removed';
        }
        if (state !== 'active' || Date.now() > deadline) return waited ? 'waited' : 'none';
        waited = true;
        await new Promise((r) => setTimeout(r, opts?.pollMs ?? 1000));
      }
    },
  };
}
