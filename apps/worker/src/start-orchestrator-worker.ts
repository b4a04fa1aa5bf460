import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Value } from '@sinclair/typebox/value';
import { OrchestrateJobSchema, jobIds } from '@kbisect/service';
import { stillUseful } from './build-ahead-plan.js';
import { dropWaitingSteps } from './drop-waiting-steps.js';
import { failBisection } from './fail-bisection.js';
import { finalFailure } from './final-failure.js';
import { orchestrate } from './orchestrate.js';
import { startPinRenewal } from './pin-renewal.js';
import type { StartedRole } from './started-role.js';
import { stepJobOptions } from './step-job-options.js';
import type { WorkerContext } from './worker-context.js';

/**
 * The orchestrator role: each pass over a bisection asks the engine for the
 * next runs and queues their builds and tests; with an artifact store it
 * also renews the running bisections' pins on a timer.
 */
export function startOrchestratorWorker(ctx: WorkerContext): StartedRole {
  const { config, store, queues, releasePins, renewPins } = ctx;
  const w = new Worker(
    ctx.names.orchestrate,
    async (job: Job) => {
      if (!Value.Check(OrchestrateJobSchema, job.data)) throw new UnrecoverableError('orchestrate job data does not match its schema');
      const log = ctx.logger.child({ bisection: job.data.bisectionId, job: job.id });
      const outcome = await orchestrate(job.data.bisectionId, {
        store,
        openRepo: ctx.openRepo,
        trust: ctx.trust,
        now: () => new Date(),
        cacheDir: config.cacheDir,
        sandbox: ctx.sandbox,
        shared: ctx.shared,
        readyCapacity: (probe) => (probe.type === 'kernel' ? ctx.machines.readyCount(probe.pool) : ctx.testWorkers.liveSlots()),
        ...(releasePins ? { releasePins } : {}),
        enqueueTest: async (data, opts) => {
          await queues.test.add('test', data, { jobId: jobIds.test(data), ...stepJobOptions(opts) });
        },
        enqueueBuild: async (data, opts) => {
          await queues.build.add('build', data, { jobId: jobIds.build(data), ...stepJobOptions(opts) });
        },
        dropWaiting: (run) => dropWaitingSteps(queues, run),
        dropMootBuildsAhead: async (id, state) => {
          const dropped = await ctx.ahead.dropMoot(id, () => stillUseful(state));
          if (dropped.length > 0) log.info({ dropped: dropped.map((r) => r.commit) }, 'dropped moot builds ahead');
        },
      });
      log.info({ outcome }, 'orchestrated');
      return outcome;
    },
    { connection: ctx.connection(), concurrency: config.concurrency.orchestrator, ...ctx.workerOptions },
  );
  // Out of retries (a clone that keeps failing, a tree whose path is gone): end the bisection with the reason.
  w.on('failed', (job, err) => {
    if (!job || !finalFailure(job, err) || !Value.Check(OrchestrateJobSchema, job.data)) return;
    void failBisection({ store, now: () => new Date(), cacheDir: config.cacheDir, shared: ctx.shared, ...(releasePins ? { releasePins } : {}) }, job.data.bisectionId, err.message)
      .catch((e: unknown) => ctx.logger.error({ err: e }, 'could not record a failed orchestration'));
  });
  // A running bisection keeps the kernels it built in the store however long it waits: every orchestrator renews the pins (renewing twice is harmless).
  const renewal = renewPins ? startPinRenewal({ store, renewPins, intervalMs: config.pinRenewMinutes * 60_000, logger: ctx.logger }) : undefined;
  return { worker: w, ...(renewal ? { withdraw: () => renewal.stop() } : {}) };
}
