import { KEEP_JOBS } from '@kbisect/service';

/** How a build or test step is queued: its retries back off exponentially from 2 s, and finished jobs are kept a while. */
export function stepJobOptions(opts: { attempts: number; priority: number }) {
  return { attempts: opts.attempts, priority: opts.priority, backoff: { type: 'exponential' as const, delay: 2000 }, ...KEEP_JOBS };
}
