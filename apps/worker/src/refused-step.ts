import type { TestWorkerRegistry } from '@kbisect/service';
import type { WorkerRefusalError } from './worker-refusal-error.js';

/** How long a step this worker refused waits in the queue before a worker takes it again. */
export const REFUSED_STEP_DELAY_MS = 3000;

export interface RefusedStepDeps {
  readonly testWorkers: Pick<TestWorkerRegistry, 'liveCapable'>;
  /** Puts the job back in its queue, delayed, without using an attempt. */
  readonly requeue: (delayMs: number) => Promise<void>;
  /** Ends the bisection with the message (a configuration problem of the fleet, not the tree's). */
  readonly fail: (message: string) => Promise<void>;
}

/**
 * A step this test worker's own settings keep it from running (no network
 * for probes, no command probes, no request key). While a live test worker
 * that can run it exists, the step waits for it: back in the queue, its
 * attempts untouched — retries used up on refusals ended steps in a fleet
 * where most workers refuse (one network worker among several). With no
 * such worker alive, waiting would hang the bisection: it ends now, saying
 * why.
 */
export async function handOnRefusedStep(err: WorkerRefusalError, deps: RefusedStepDeps): Promise<'requeued' | 'aborted'> {
  if ((await deps.testWorkers.liveCapable(err.needs)) === 0) {
    await deps.fail(`${err.message}; no live test worker can run it`);
    return 'aborted';
  }
  await deps.requeue(REFUSED_STEP_DELAY_MS);
  return 'requeued';
}
