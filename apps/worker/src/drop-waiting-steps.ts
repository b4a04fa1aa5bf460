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
  const lookups = [undefined, ...Array.from({ length: MAX_REBUILDS }, (_, i) => i + 1)].flatMap((rebuild) => {
    const job = { ...run, rebuild };
    return [[queues.build, jobIds.build(job)], [queues.test, jobIds.test(job)]] as const;
  });
  // One moot run's eight possible jobs are looked up at once (each a round trip), not one after another.
  const removed = await Promise.all(lookups.map(async ([queue, id]) => {
    const waiting = await queue.getJob(id);
    return waiting !== undefined && NOT_STARTED.includes(await waiting.getState()) && (await waiting.remove().then(() => true, () => false));
  }));
  return removed.includes(true);
}
