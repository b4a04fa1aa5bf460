import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Value } from '@sinclair/typebox/value';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ArtifactDisk, StoreClient } from '@kbisect/artifact-store';
import { ArtifactCache, DEFAULT_TOOLCHAIN, DEFAULT_TOOLCHAINS } from '@kbisect/kbuild';
import { BootFileServer, formatBootFetch } from '@kbisect/lab';
import type { OpenedSandbox } from '@kbisect/sandbox';
import { BisectionStore, BuildQueueJobSchema, pathRedactor, readRequestKey, KEEP_JOBS, MachineHistory, MachineStore, OrchestrateJobSchema, TestQueueJobSchema, TestWorkerRegistry, VerdictCache, connectRedis, enqueueOrchestrate, jobIds, recheckOrchestrate, queueNames, recordStepDuration, toolchainIdentity, wakeOrchestrate, type StepJob } from '@kbisect/service';
import type { SharedResults } from './dispatch-round.js';
import { shareRun } from './share-run.js';
import { runBuildJob } from './build-step-job.js';
import { runBuildAheadJob } from './build-ahead-job.js';
import { stillUseful } from './build-ahead-plan.js';
import { buildAheadQueue, NOT_STARTED } from './build-ahead-queue.js';
import { queueBuildsAhead } from './queue-builds-ahead.js';
import { endOnTerminalError } from './record-step.js';
import { claimBuildSlots, claimSlots, type BuildSlots } from './build-slots.js';
import { storeFetcher, type KernelFetcher } from './kernel-fetcher.js';
import { storePublisher } from './kernel-publisher.js';
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

/** How long a test worker counts without renewing its announcement (it renews every third of it). */
const TEST_WORKER_TTL_MS = 30_000;

/** How often a bisection waiting for another's test of a shared run looks again, in case the holder went without letting go. */
const SHARED_RECHECK_MS = 10 * 60_000;

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
  // The artifact store: builds go up (build role), kernels come down to this host (lab role), pins are released at the end.
  const storeClient = config.store ? await StoreClient.fromFiles(config.store.url, config.store.tokenFile) : undefined;
  const releasePins = storeClient ? async (id: string): Promise<void> => void (await storeClient.release(id)) : undefined;
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
  const testWorkers = new TestWorkerRegistry(redis, store.keys);
  const shared: SharedResults = {
    cache: new VerdictCache(redis, store.keys),
    toolchain: toolchainIdentity([DEFAULT_TOOLCHAINS, DEFAULT_TOOLCHAIN]),
    wake: async (ids) => {
      for (const id of ids) await wakeOrchestrate(orchestrateQueue, redis, store.keys, id, 'shared');
    },
    recheck: (id) => recheckOrchestrate(orchestrateQueue, redis, store.keys, id, SHARED_RECHECK_MS),
  };
  // After a step job: its verdict goes to the shared cache and whoever waited for the run is woken.
  const share = (job: StepJob): Promise<void> => shareRun(store, shared, job).catch((err: unknown) => deps.logger.error({ err, bisection: job.bisectionId }, 'could not share a run'));
  const history = new MachineHistory(redis, store.keys);
  const ahead = buildAheadQueue(buildQueue, redis, store.keys);
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
      // A build ahead is never a step: its failure leaves the step's own build to try.
      if (!job || !finalFailure(job, err) || (job.data as { kind?: unknown }).kind === 'build-ahead') return;
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
          shared,
          readyCapacity: (probe) => (probe.type === 'kernel' ? machines.readyCount(probe.pool) : testWorkers.liveSlots()),
          ...(releasePins ? { releasePins } : {}),
          enqueueTest: async (data, opts) => {
            await testQueue.add('test', data, { jobId: jobIds.test(data), ...stepOpts(opts) });
          },
          enqueueBuild: async (data, opts) => {
            await buildQueue.add('build', data, { jobId: jobIds.build(data), ...stepOpts(opts) });
          },
          dropWaiting: async (run) => {
            let dropped = false;
            for (const [queue, id] of [[buildQueue, jobIds.build(run)], [testQueue, jobIds.test(run)]] as const) {
              const job = await queue.getJob(id);
              // Only a job nobody has picked up: removing an active one would orphan its lock.
              if (job && NOT_STARTED.includes(await job.getState())) dropped = (await job.remove().then(() => true, () => false)) || dropped;
            }
            return dropped;
          },
          dropMootBuildsAhead: async (id, state) => {
            const dropped = await ahead.dropMoot(id, () => stillUseful(state));
            if (dropped.length > 0) log.info({ dropped: dropped.map((r) => r.commit) }, 'dropped moot builds ahead');
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
      void failBisection({ store, now: () => new Date(), cacheDir: config.cacheDir, shared, ...(releasePins ? { releasePins } : {}) }, job.data.bisectionId, err.message)
        .catch((e: unknown) => deps.logger.error({ err: e }, 'could not record a failed orchestration'));
    });
    workers.push(w);
  }

  let testSlots: BuildSlots | undefined;
  let renewal: NodeJS.Timeout | undefined;
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
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
    // Kernels from the store land in this host's own cache: nothing of the build host's disk is read.
    const kernels: KernelFetcher | undefined = storeClient ? storeFetcher(storeClient, await ArtifactDisk.open(join(config.cacheDir, 'store-cache'), config.storeCacheGb * 1024 ** 3)) : undefined;
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
            ? runLabTestJob(data, { store, trust, machines, history, labRoots: config.labRoots, cacheDir: config.cacheDir, now, attempt: job.attemptsMade + 1, quarantineAfter: config.quarantineAfter, ...(kernels ? { kernels } : {}), bootFiles: servedBootFiles })
            : runTestJob(data, { store, trust, openRepo: deps.openRepo, checkouts: slotCheckouts, sandbox, probeReadPaths: config.probeReadPaths, now, defaultTimeoutSec: config.defaultTestTimeoutSec, attempt: job.attemptsMade + 1 }));
        if (outcome === 'recorded') await recordStepDuration(redis, store.keys, (Date.now() - started) / 1000, 'verdict');
        await share(data);
        await enqueueOrchestrate(orchestrateQueue, redis, store.keys, data.bisectionId);
        log.info({ outcome }, 'tested');
        return outcome;
      },
      { connection: connection(), concurrency: config.concurrency.test, ...common },
    );
    failStepWhenRetriesRunOut(w, 'testing');
    workers.push(w);
    // Announced while alive: a command probe's round takes as many tests as the live slots.
    const announce = (): Promise<void> => testWorkers.announce(workerId, config.concurrency.test, TEST_WORKER_TTL_MS).catch((err: unknown) => deps.logger.error({ err }, 'could not announce the test worker'));
    await announce();
    renewal = setInterval(() => void announce(), TEST_WORKER_TTL_MS / 3);
  }

  let buildSlots: BuildSlots | undefined;
  if (config.roles.includes('build')) {
    const cache = new ArtifactCache(join(config.cacheDir, 'artifacts'), config.artifactCacheGb * 1024 ** 3);
    const publisher = storeClient ? storePublisher(storeClient) : undefined;
    // Each concurrent build gets its own slot: a worktree and build dirs nobody else touches.
    buildSlots = await claimBuildSlots(config.cacheDir, config.concurrency.build);
    const freeSlots = [...buildSlots.dirs];
    const w = new Worker(
      names.build,
      async (job: Job) => {
        if (!Value.Check(BuildQueueJobSchema, job.data)) throw new UnrecoverableError('build job data does not match its schema');
        const data = job.data;
        const log = deps.logger.child({ bisection: data.bisectionId, job: job.id, commit: data.commit });
        // A build ahead of the same run: removed if still waiting, waited for if building (then this build is a cache hit).
        if (data.kind === 'build') {
          const settled = await ahead.settle(data);
          if (settled !== 'none') log.info({ settled }, 'build ahead of this run settled');
        }
        const slot = freeSlots.shift();
        if (slot === undefined) throw new Error('no free build slot (more builds than KBISECT_BUILD_CONCURRENCY)');
        const now = (): Date => new Date();
        const buildSlot = { openRepo: deps.openRepo, cache, workDir: slot, jobs: config.buildJobs, ccacheDir: config.ccacheDir, sandbox };
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
              await testQueue.add('test', next, { jobId: jobIds.test(next), attempts: job.opts.attempts ?? 3, priority, backoff: { type: 'exponential', delay: 2000 }, ...KEEP_JOBS });
            },
            handedOff: async (built) => {
              // Speculation never fails a step: the kernel is already on its way to the lab.
              await queueBuildsAhead(store, ahead, built, { workerAllows: config.buildAhead, priority })
                .then((queued) => queued > 0 && log.info({ queued }, 'queued builds ahead'), (err: unknown) => log.warn({ err }, 'could not queue builds ahead'));
            },
          }));
          if (outcome !== 'built') {
            await share(data);
            await enqueueOrchestrate(orchestrateQueue, redis, store.keys, data.bisectionId);
          }
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
      if (renewal) {
        clearInterval(renewal);
        await testWorkers.withdraw(workerId).catch(() => undefined);
      }
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
