import type { Worker } from 'bullmq';
import type { StepJob } from '@kbisect/service';
import { finalFailure } from './final-failure.js';
import { publicReason } from './public-reason.js';
import type { WorkerContext } from './worker-context.js';

/**
 * Out of retries, a step's machinery, not the kernel, failed: the bisection
 * gets a `failed` event saying so (once per commit) and an orchestration pass
 * that stops it.
 */
export function failStepWhenRetriesRunOut(w: Worker, doing: string, ctx: Pick<WorkerContext, 'store' | 'config' | 'logger' | 'orchestrateNext'>): void {
  w.on('failed', (job, err) => {
    // A build ahead is never a step: its failure leaves the step's own build to try.
    if (!job || !finalFailure(job, err) || (job.data as { kind?: unknown }).kind === 'build-ahead') return;
    const data = job.data as StepJob;
    void ctx.store.load(data.bisectionId)
      .then(({ fold }) => ctx.store.log.appendOnce(data.bisectionId, `infra-failed:${data.commit}`, { type: 'failed', at: new Date().toISOString(), error: publicReason(`infrastructure failure ${doing} ${data.commit} after ${job.attemptsMade} attempts: ${err.message}`, fold.created, ctx.config.cacheDir) }))
      .then(() => ctx.orchestrateNext(data.bisectionId))
      .catch((e: unknown) => ctx.logger.error({ err: e }, 'could not record an infrastructure failure'));
  });
}
