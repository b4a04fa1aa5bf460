import type { Queue } from 'bullmq';
import { MAX_REBUILDS, jobIds, type StepRun } from '@kbisect/service';
import { NOT_STARTED } from './build-ahead-queue.js';

/**
 * Removes a moot run's build and test jobs that no worker has picked up —
 * the first ones and any rebuild's (a kernel the store lost) — and says
 * whether it removed any. An active job is left alone: removing it would
 * orphan its lock.
 */
export async function dropWaitingSteps(queues: { readonly build: Queue; readonly test: Queue }, run: StepRun): Promise<boolean> {
  let dropped = false;
  for (const rebuild of [undefined, ...Array.from({ length: MAX_REBUILDS }, (_, i) => i + 1)]) {
    const job = { ...run, rebuild };
    for (const [queue, id] of [[queues.build, jobIds.build(job)], [queues.test, jobIds.test(job)]] as const) {
      const waiting = await queue.getJob(id);
      if (waiting && NOT_STARTED.includes(await waiting.getState())) dropped = (await waiting.remove().then(() => true, () => false)) || dropped;
    }
  }
  return dropped;
}
