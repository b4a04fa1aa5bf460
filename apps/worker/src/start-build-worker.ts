import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Value } from '@sinclair/typebox/value';
import { ArtifactCache } from '@kbisect/kbuild';
import { BuildQueueJobSchema, jobIds } from '@kbisect/service';
import { runBuildAheadJob } from './build-ahead-job.js';
import { claimBuildSlots } from './build-slots.js';
import { runBuildJob } from './build-step-job.js';
import { failStepWhenRetriesRunOut } from './fail-step-when-retries-run-out.js';
import { storePublisher } from './kernel-publisher.js';
import { queueBuildsAhead } from './queue-builds-ahead.js';
import { endOnTerminalError } from './record-step.js';
import type { StartedRole } from './started-role.js';
import { stepJobOptions } from './step-job-options.js';
import type { WorkerContext } from './worker-context.js';

/**
 * The build role: a step's kernel build, which hands the kernel to the test
 * queue, and builds ahead (speculative, low priority) in the slots left idle.
 */
export async function startBuildWorker(ctx: WorkerContext): Promise<StartedRole> {
  const { config, store, trust, ahead } = ctx;
  const cache = new ArtifactCache(join(config.cacheDir, 'artifacts'), config.artifactCacheGb * 1024 ** 3);
  const publisher = ctx.storeClient ? storePublisher(ctx.storeClient) : undefined;
  // Each concurrent build gets its own slot: a worktree and build dirs nobody else touches.
  const buildSlots = await claimBuildSlots(config.cacheDir, config.concurrency.build);
  const freeSlots = [...buildSlots.dirs];
  const w = new Worker(
    ctx.names.build,
    async (job: Job) => {
      if (!Value.Check(BuildQueueJobSchema, job.data)) throw new UnrecoverableError('build job data does not match its schema');
      const data = job.data;
      const log = ctx.logger.child({ bisection: data.bisectionId, job: job.id, commit: data.commit });
      // A build ahead of the same run: removed if still waiting, waited for if building (then this build is a cache hit).
      if (data.kind === 'build') {
        const settled = await ahead.settle(data);
        if (settled !== 'none') log.info({ settled }, 'build ahead of this run settled');
      }
      const slot = freeSlots.shift();
      if (slot === undefined) throw new Error('no free build slot (more builds than KBISECT_BUILD_CONCURRENCY)');
      const now = (): Date => new Date();
      const buildSlot = { openRepo: ctx.openRepo, cache, workDir: slot, jobs: config.buildJobs, ccacheDir: config.ccacheDir, sandbox: ctx.sandbox };
      try {
        if (data.kind === 'build-ahead') {
          // Never retried and never the bisection's failure: the step's own build still comes, with its retries.
          const outcome = await runBuildAheadJob(data, { ...buildSlot, store, trust, queue: ahead, now }).catch((err: unknown) => {
            log.warn({ err }, 'build ahead failed');
            return 'failed' as const;
          });
          log.info({ outcome }, 'built ahead');
          return outcome;
        }
        const priority = job.opts.priority ?? 50;
        const outcome = await endOnTerminalError(store, data, now, () => runBuildJob(data, {
          ...buildSlot, store, trust, ...(publisher ? { publisher } : {}), now, attempt: job.attemptsMade + 1,
          enqueueTest: async (next) => {
            await ctx.queues.test.add('test', next, { jobId: jobIds.test(next), ...stepJobOptions({ attempts: job.opts.attempts ?? 3, priority }) });
          },
          handedOff: async (built) => {
            // Speculation never fails a step: the kernel is already on its way to the lab.
            await queueBuildsAhead(store, ahead, built, { workerAllows: config.buildAhead, priority })
              .then((queued) => queued > 0 && log.info({ queued }, 'queued builds ahead'), (err: unknown) => log.warn({ err }, 'could not queue builds ahead'));
          },
        }));
        if (outcome !== 'built') {
          await ctx.share(data);
          await ctx.orchestrateNext(data.bisectionId);
        }
        log.info({ outcome }, 'built');
        return outcome;
      } finally {
        freeSlots.push(slot);
      }
    },
    { connection: ctx.connection(), concurrency: config.concurrency.build, ...ctx.workerOptions },
  );
  failStepWhenRetriesRunOut(w, 'building', ctx);
  return { worker: w, release: () => buildSlots.release() };
}
