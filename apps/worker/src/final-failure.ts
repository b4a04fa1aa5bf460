import { UnrecoverableError, type Job } from 'bullmq';

/** A job BullMQ will not try again: its attempts are used up, or it threw UnrecoverableError. */
export function finalFailure(job: Job, err: Error): boolean {
  return job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
}
