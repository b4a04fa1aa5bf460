import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Value } from '@sinclair/typebox/value';
import { ArtifactDisk } from '@kbisect/artifact-store';
import { BootFileServer, formatBootFetch, unreachableBootServer } from '@kbisect/lab';
import { TestQueueJobSchema, recordStepDuration } from '@kbisect/service';
import { claimSlots } from './build-slots.js';
import { failStepWhenRetriesRunOut } from './fail-step-when-retries-run-out.js';
import { storeFetcher, type KernelFetcher } from './kernel-fetcher.js';
import { runLabTestJob } from './lab-test-job.js';
import { queueRebuild } from './queue-rebuild.js';
import { endOnTerminalError, recordStepFailed } from './record-step.js';
import { handOnRefusedStep } from './refused-step.js';
import { capabilitiesOf } from './request-trust.js';
import { runTestJob } from './run-test-job.js';
import type { StartedRole } from './started-role.js';
import { testCheckouts } from './test-checkouts.js';
import type { WorkerContext } from './worker-context.js';
import { WorkerRefusalError } from './worker-refusal-error.js';

/** How long a test worker counts without renewing its announcement (it renews every third of it). */
const TEST_WORKER_TTL_MS = 30_000;

/**
 * The test role: command probes in per-slot checkouts, lab tests on machines
 * that boot kernels from this host's boot file server. Announced while alive
 * with what it may run, so a command probe's round takes as many tests as
 * there are live slots, and a step this worker refuses waits for one that
 * can run it.
 */
export async function startTestWorker(ctx: WorkerContext): Promise<StartedRole> {
  const { config, logger, store, trust } = ctx;
  // Machines with boot method ipxe-http fetch kernel and initramfs from here; every request, refused ones too, is logged.
  const bootFiles = await BootFileServer.start(config.bootHttp, {
    onFetch: (f) => (f.refused === undefined ? logger.info({ bootFetch: f }, formatBootFetch(f)) : logger.warn({ bootFetch: f }, formatBootFetch(f))),
  });
  logger.info({ listen: `${config.bootHttp.listenHost}:${bootFiles.port}`, machinesUse: bootFiles.baseUrl }, 'boot file server listening');
  // A real machine told to boot over HTTP from loopback fails only as a boot timeout, a deadline later: said now.
  await ctx.machines.list().then((machines) => {
    const unreachable = unreachableBootServer(config.bootHttp.listenHost, machines);
    if (unreachable) logger.warn(unreachable);
  }, (err: unknown) => logger.warn({ err }, 'could not list the machines to check they reach the boot file server'));
  // Each concurrent command test gets its own slot: worktrees nobody else touches, kept between tests.
  const testSlots = await claimSlots(config.cacheDir, 'test-checkouts', config.concurrency.test).catch(async (err: unknown) => {
    await bootFiles.close();
    throw err;
  });
  const checkouts = testCheckouts(testSlots.dirs);
  // Kernels from the store land in this host's own cache: nothing of the build host's disk is read.
  const kernels: KernelFetcher | undefined = ctx.storeClient
    ? storeFetcher(ctx.storeClient, await ArtifactDisk.open(join(config.cacheDir, 'store-cache'), config.storeCacheGb * 1024 ** 3).catch(async (err: unknown) => {
      await Promise.all([bootFiles.close(), testSlots.release()]);
      throw err;
    }))
    : undefined;
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const w = new Worker(
    ctx.names.test,
    async (job: Job, token?: string) => {
      if (!Value.Check(TestQueueJobSchema, job.data)) throw new UnrecoverableError('test job data does not match its schema');
      const data = job.data;
      const log = logger.child({ bisection: data.bisectionId, job: job.id, commit: data.commit });
      const started = Date.now();
      const now = (): Date => new Date();
      // A kernel the store lost is built again by the build role, with this step's priority and retries.
      const rebuild = queueRebuild(ctx.queues.build, { attempts: job.opts.attempts ?? 3, priority: job.opts.priority ?? 50 });
      const outcome = await endOnTerminalError(store, data, now, () =>
        data.kind === 'lab-test'
          ? runLabTestJob(data, { store, trust, machines: ctx.machines, history: ctx.history, labRoots: config.labRoots, cacheDir: config.cacheDir, now, attempt: job.attemptsMade + 1, quarantineAfter: config.quarantineAfter, ...(kernels ? { kernels } : {}), rebuild, bootFiles })
          : runTestJob(data, { store, trust, openRepo: ctx.openRepo, checkouts, sandbox: ctx.sandbox, probeReadPaths: config.probeReadPaths, now, defaultTimeoutSec: config.defaultTestTimeoutSec, attempt: job.attemptsMade + 1 }))
        .catch(async (err: unknown) => {
          if (!(err instanceof WorkerRefusalError)) throw err;
          const handed = await handOnRefusedStep(err, {
            testWorkers: ctx.testWorkers,
            requeue: (delayMs) => job.moveToDelayed(Date.now() + delayMs, token),
            fail: (message) => recordStepFailed(store, data, message, now().toISOString()),
          });
          if (handed === 'aborted') return 'aborted' as const;
          log.info({ needs: err.needs }, 'refused here (this worker\'s settings); back in the queue for a worker that can run it');
          // BullMQ's signal that the processor moved the job to the delayed set itself: no attempt is counted.
          throw new DelayedError();
        });
      if (outcome === 'recorded') await recordStepDuration(ctx.redis, store.keys, (Date.now() - started) / 1000, 'verdict');
      await ctx.share(data);
      await ctx.orchestrateNext(data.bisectionId);
      log.info({ outcome }, 'tested');
      return outcome;
    },
    { connection: ctx.connection(), concurrency: config.concurrency.test, ...ctx.workerOptions },
  );
  failStepWhenRetriesRunOut(w, 'testing', ctx);
  const capabilities = capabilitiesOf(trust);
  const announce = (): Promise<void> => ctx.testWorkers.announce(workerId, config.concurrency.test, TEST_WORKER_TTL_MS, capabilities).catch((err: unknown) => logger.error({ err }, 'could not announce the test worker'));
  await announce();
  const renewal = setInterval(() => void announce(), TEST_WORKER_TTL_MS / 3);
  return {
    worker: w,
    async withdraw() {
      clearInterval(renewal);
      await ctx.testWorkers.withdraw(workerId).catch(() => undefined);
    },
    async release() {
      await checkouts.close();
      await bootFiles.close();
      await testSlots.release();
    },
  };
}
