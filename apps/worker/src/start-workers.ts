import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Value } from '@sinclair/typebox/value';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ArtifactCache } from '@kbisect/kbuild';
import { BootFileServer, formatBootFetch } from '@kbisect/lab';
import type { OpenedSandbox } from '@kbisect/sandbox';
import { BisectionStore, BuildJobSchema, pathRedactor, readRequestKey, KEEP_JOBS, MachineStore, OrchestrateJobSchema, TestQueueJobSchema, connectRedis, enqueueOrchestrate, jobIds, queueNames, recordStepDuration, type StepJob } from '@kbisect/service';
import { runBuildJob } from './build-step-job.js';
import { endOnTerminalError } from './record-step.js';
import { claimBuildSlots, claimSlots, type BuildSlots } from './build-slots.js';
import { runLabTestJob } from './lab-test-job.js';
import { orchestrate } from './orchestrate.js';
import { failBisection } from './fail-bisection.js';
import { publicReason } from './public-reason.js';
import type { OpenRepo } from './repo-port.js';
import { runTestJob } from './run-test-job.js';
import type { RequestTrust } from './request-trust.js';
import { testCheckouts, type TestCheckouts } from './test-checkouts.js';
import type { WorkerConfig } from './worker-config.js';
import { openWorkerSandbox } from './worker-sandbox.js';

/** A job BullMQ will not try again: its attempts are used up, or it threw UnrecoverableError. */
function finalFailure(job: Job, err: Error): boolean {
  return job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
}

export interface RunningWorkers {
  close(): Promise<void>;
}

/**
 * Starts this process's share of the roles. Processors are thin: validate the
 * job data, call the core, return a typed result; retries with backoff are
 * for infrastructure failures only.
 */
export async function startWorkers(config: WorkerConfig, deps: { openRepo: OpenRepo; logger: Logger; sandbox?: OpenedSandbox }): Promise<RunningWorkers> {
  const trust: RequestTrust = { allowCommandProbe: config.allowCommandProbe, ...(config.requestKeyFile !== undefined ? { key: await readRequestKey(config.requestKeyFile) } : {}) };
  if (!trust.key) deps.logger.warn('no request key (KBISECT_REQUEST_KEY_FILE): bisections are not checked against the API\'s signature, and command probes are refused');
  // Every role runs tree code somewhere (builds, command probes, get_maintainer.pl at the end): probe once, before taking jobs.
  const { sandbox } = deps.sandbox ?? (await openWorkerSandbox(config, deps.logger));
  const redis = connectRedis(config.redisUrl);
  const names = queueNames(config.namespace);
  // Errors and reasons from git, make and the lab name this host's directories; readers see them as labels.
  const redact = pathRedactor([
    { path: config.cacheDir, label: '<cache>' }, { path: config.ccacheDir, label: '<ccache>' },
    ...config.labRoots.map((path) => ({ path, label: '<lab>' })),
  ]);
  const store = new BisectionStore(redis, config.namespace, { redact });
  const orchestrateQueue = new Queue(names.orchestrate, { connection: redis });
  const testQueue = new Queue(names.test, { connection: redis });
  const buildQueue = new Queue(names.build, { connection: redis });
  const machines = new MachineStore(redis, config.namespace);
  const stepOpts = (opts: { attempts: number; priority: number }) => ({ attempts: opts.attempts, priority: opts.priority, backoff: { type: 'exponential' as const, delay: 2000 }, ...KEEP_JOBS });
  const workers: Worker[] = [];
  const connections: Redis[] = [redis];
  const connection = (): Redis => {
    const c = connectRedis(config.redisUrl);
    connections.push(c);
    return c;
  };
  // Out of retries: the machinery, not the kernel, failed; say so and stop the bisection.
  const failStepWhenRetriesRunOut = (w: Worker, doing: string): void => {
    w.on('failed', (job, err) => {
      if (!job || !finalFailure(job, err)) return;
      const data = job.data as StepJob;
      void store.load(data.bisectionId)
        .then(({ fold }) => store.log.appendOnce(data.bisectionId, `infra-failed:${data.commit}`, { type: 'failed', at: new Date().toISOString(), error: publicReason(`infrastructure failure ${doing} ${data.commit} after ${job.attemptsMade} attempts: ${err.message}`, fold.created, config.cacheDir) }))
        .then(() => enqueueOrchestrate(orchestrateQueue, redis, store.keys, data.bisectionId))
        .catch((e: unknown) => deps.logger.error({ err: e }, 'could not record an infrastructure failure'));
    });
  };
  const common = { lockDuration: config.lockDurationMs, stalledInterval: Math.max(1000, Math.floor(config.lockDurationMs / 2)), maxStalledCount: 3 };

  if (config.roles.includes('orchestrator')) {
    const w = new Worker(
      names.orchestrate,
      async (job: Job) => {
        if (!Value.Check(OrchestrateJobSchema, job.data)) throw new UnrecoverableError('orchestrate job data does not match its schema');
        const log = deps.logger.child({ bisection: job.data.bisectionId, job: job.id });
        const outcome = await orchestrate(job.data.bisectionId, {
          store,
          openRepo: deps.openRepo,
          trust,
          now: () => new Date(),
          cacheDir: config.cacheDir,
          sandbox,
          enqueueTest: async (data, opts) => {
            await testQueue.add('test', data, { jobId: jobIds.test(data), ...stepOpts(opts) });
          },
          enqueueBuild: async (data, opts) => {
            await buildQueue.add('build', data, { jobId: jobIds.build(data), ...stepOpts(opts) });
          },
          dropWaiting: async (run) => {
            for (const [queue, id] of [[buildQueue, jobIds.build(run)], [testQueue, jobIds.test(run)]] as const) {
              const job = await queue.getJob(id);
              // Only a job nobody has picked up: removing an active one would orphan its lock.
              if (job && ['waiting', 'prioritized', 'delayed'].includes(await job.getState())) await job.remove().catch(() => undefined);
            }
          },
        });
        log.info({ outcome }, 'orchestrated');
        return outcome;
      },
      { connection: connection(), concurrency: config.concurrency.orchestrator, ...common },
    );
    // Out of retries (a clone that keeps failing, a tree whose path is gone): end the bisection with the reason.
    w.on('failed', (job, err) => {
      if (!job || !finalFailure(job, err) || !Value.Check(OrchestrateJobSchema, job.data)) return;
      void failBisection({ store, now: () => new Date(), cacheDir: config.cacheDir }, job.data.bisectionId, err.message)
        .catch((e: unknown) => deps.logger.error({ err: e }, 'could not record a failed orchestration'));
    });
    workers.push(w);
  }

  let testSlots: BuildSlots | undefined;
  let checkouts: TestCheckouts | undefined;
  let bootFiles: BootFileServer | undefined;
  if (config.roles.includes('test')) {
    // Machines with boot method ipxe-http fetch kernel and initramfs from here; every request, refused ones too, is logged.
    bootFiles = await BootFileServer.start(config.bootHttp, {
      onFetch: (f) => (f.refused === undefined ? deps.logger.info({ bootFetch: f }, formatBootFetch(f)) : deps.logger.warn({ bootFetch: f }, formatBootFetch(f))),
    });
    deps.logger.info({ listen: `${config.bootHttp.listenHost}:${bootFiles.port}`, machinesUse: bootFiles.baseUrl }, 'boot file server listening');
    const servedBootFiles = bootFiles;
    // Each concurrent command test gets its own slot: worktrees nobody else touches, kept between tests.
    testSlots = await claimSlots(config.cacheDir, 'test-checkouts', config.concurrency.test);
    const slotCheckouts = testCheckouts(testSlots.dirs);
    checkouts = slotCheckouts;
    const w = new Worker(
      names.test,
      async (job: Job) => {
        if (!Value.Check(TestQueueJobSchema, job.data)) throw new UnrecoverableError('test job data does not match its schema');
        const data = job.data;
        const log = deps.logger.child({ bisection: data.bisectionId, job: job.id, commit: data.commit });
        const started = Date.now();
        const now = (): Date => new Date();
        const outcome = await endOnTerminalError(store, data, now, () =>
          data.kind === 'lab-test'
            ? runLabTestJob(data, { store, trust, machines, labRoots: config.labRoots, cacheDir: config.cacheDir, now, attempt: job.attemptsMade + 1, quarantineAfter: config.quarantineAfter, bootFiles: servedBootFiles })
            : runTestJob(data, { store, trust, openRepo: deps.openRepo, checkouts: slotCheckouts, sandbox, probeReadPaths: config.probeReadPaths, now, defaultTimeoutSec: config.defaultTestTimeoutSec, attempt: job.attemptsMade + 1 }));
        if (outcome === 'recorded') await recordStepDuration(redis, store.keys, (Date.now() - started) / 1000, 'verdict');
        await enqueueOrchestrate(orchestrateQueue, redis, store.keys, data.bisectionId);
        log.info({ outcome }, 'tested');
        return outcome;
      },
      { connection: connection(), concurrency: config.concurrency.test, ...common },
    );
    failStepWhenRetriesRunOut(w, 'testing');
    workers.push(w);
  }

  let buildSlots: BuildSlots | undefined;
  if (config.roles.includes('build')) {
    const cache = new ArtifactCache(join(config.cacheDir, 'artifacts'), config.artifactCacheGb * 1024 ** 3);
    // Each concurrent build gets its own slot: a worktree and build dirs nobody else touches.
    buildSlots = await claimBuildSlots(config.cacheDir, config.concurrency.build);
    const freeSlots = [...buildSlots.dirs];
    const w = new Worker(
      names.build,
      async (job: Job) => {
        if (!Value.Check(BuildJobSchema, job.data)) throw new UnrecoverableError('build job data does not match its schema');
        const data = job.data;
        const log = deps.logger.child({ bisection: data.bisectionId, job: job.id, commit: data.commit });
        const slot = freeSlots.shift();
        if (slot === undefined) throw new Error('no free build slot (more builds than KBISECT_BUILD_CONCURRENCY)');
        try {
          const now = (): Date => new Date();
          const outcome = await endOnTerminalError(store, data, now, () => runBuildJob(data, {
            store, trust, openRepo: deps.openRepo, cache, workDir: slot, jobs: config.buildJobs, ccacheDir: config.ccacheDir, sandbox, now, attempt: job.attemptsMade + 1,
            enqueueTest: async (next) => {
              await testQueue.add('test', next, { jobId: jobIds.test(next), attempts: job.opts.attempts ?? 3, priority: job.opts.priority ?? 50, backoff: { type: 'exponential', delay: 2000 }, ...KEEP_JOBS });
            },
          }));
          if (outcome !== 'built') await enqueueOrchestrate(orchestrateQueue, redis, store.keys, data.bisectionId);
          log.info({ outcome }, 'built');
          return outcome;
        } finally {
          freeSlots.push(slot);
        }
      },
      { connection: connection(), concurrency: config.concurrency.build, ...common },
    );
    failStepWhenRetriesRunOut(w, 'building');
    workers.push(w);
  }

  for (const w of workers) w.on('error', (err) => deps.logger.error({ err }, 'worker error'));
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([orchestrateQueue.close(), testQueue.close(), buildQueue.close()]);
      for (const c of connections) c.disconnect();
      await checkouts?.close();
      await bootFiles?.close();
      await testSlots?.release();
      await buildSlots?.release();
    },
  };
}
