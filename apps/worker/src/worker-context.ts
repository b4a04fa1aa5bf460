import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StoreClient } from '@kbisect/artifact-store';
import { DEFAULT_TOOLCHAIN, DEFAULT_TOOLCHAINS } from '@kbisect/kbuild';
import type { OpenedSandbox, Sandbox } from '@kbisect/sandbox';
import { BisectionStore, MachineHistory, MachineStore, TestWorkerRegistry, VerdictCache, connectRedis, enqueueOrchestrate, pathRedactor, queueNames, recheckOrchestrate, toolchainIdentity, wakeOrchestrate, type QueueNames, type StepJob } from '@kbisect/service';
import { buildAheadQueue, type BuildAheadQueue } from './build-ahead-queue.js';
import type { SharedResults } from './dispatch-round.js';
import type { OpenRepo } from './repo-port.js';
import type { RequestTrust } from './request-trust.js';
import { openRequestTrust } from './worker-trust.js';
import { shareRun } from './share-run.js';
import type { WorkerConfig } from './worker-config.js';
import { openWorkerSandbox } from './worker-sandbox.js';

/** How often a bisection waiting for another's test of a shared run looks again, in case the holder went without letting go. */
const SHARED_RECHECK_MS = 10 * 60_000;

/** What every role's worker wiring draws on: opened once per process, closed once after the workers. */
export interface WorkerContext {
  readonly config: WorkerConfig;
  readonly logger: Logger;
  readonly openRepo: OpenRepo;
  readonly trust: RequestTrust;
  readonly sandbox: Sandbox;
  /** The process's shared connection (queues, store, registries); workers get their own through `connection()`. */
  readonly redis: Redis;
  readonly names: QueueNames;
  readonly store: BisectionStore;
  readonly queues: { readonly orchestrate: Queue; readonly test: Queue; readonly build: Queue };
  readonly machines: MachineStore;
  readonly history: MachineHistory;
  readonly testWorkers: TestWorkerRegistry;
  readonly ahead: BuildAheadQueue;
  readonly shared: SharedResults;
  /** The artifact store's client, when builds and the lab do not share this host's cache dir. */
  readonly storeClient?: StoreClient;
  /** Releases a bisection's pins in the artifact store, when there is one. */
  readonly releasePins?: (bisectionId: string) => Promise<void>;
  /** Renews a running bisection's pins in the artifact store, when there is one; how many keys it holds. */
  readonly renewPins?: (bisectionId: string) => Promise<number>;
  /** After a step job: its verdict goes to the shared cache and whoever waited for the run is woken; never throws. */
  share(job: StepJob): Promise<void>;
  /** Queues the bisection's next orchestration pass. */
  orchestrateNext(bisectionId: string): Promise<void>;
  /** A new Redis connection for one BullMQ worker (a blocking client must not be shared), disconnected on close. */
  connection(): Redis;
  /** BullMQ lock and stall settings every role's worker uses. */
  readonly workerOptions: { readonly lockDuration: number; readonly stalledInterval: number; readonly maxStalledCount: number };
}

export interface OpenedWorkerContext {
  readonly context: WorkerContext;
  /** Closes the queues, then disconnects every connection: call after the workers closed. */
  close(): Promise<void>;
}

/** Opens what the roles share: request trust, sandbox, artifact store client, Redis, queues and stores. */
export async function openWorkerContext(config: WorkerConfig, deps: { openRepo: OpenRepo; logger: Logger; sandbox?: OpenedSandbox }): Promise<OpenedWorkerContext> {
  const { logger } = deps;
  const trust = await openRequestTrust(config, logger);
  // Every role runs tree code somewhere (builds, command probes, get_maintainer.pl at the end): probe once, before taking jobs.
  const { sandbox } = deps.sandbox ?? (await openWorkerSandbox(config, logger));
  // The artifact store: builds go up (build role), kernels come down to this host (lab role), pins are renewed while a bisection runs and released at its end.
  const storeClient = config.store ? await StoreClient.fromFiles(config.store.url, config.store.tokenFile) : undefined;
  const releasePins = storeClient ? async (id: string): Promise<void> => void (await storeClient.release(id)) : undefined;
  const renewPins = storeClient ? (id: string): Promise<number> => storeClient.renew(id) : undefined;
  const redis = connectRedis(config.redisUrl);
  const names = queueNames(config.namespace);
  // Errors and reasons from git, make and the lab name this host's directories; readers see them as labels.
  const redact = pathRedactor([
    { path: config.cacheDir, label: '<cache>' }, { path: config.ccacheDir, label: '<ccache>' },
    ...config.labRoots.map((path) => ({ path, label: '<lab>' })),
  ]);
  const store = new BisectionStore(redis, config.namespace, { redact });
  const queues = {
    orchestrate: new Queue(names.orchestrate, { connection: redis }),
    test: new Queue(names.test, { connection: redis }),
    build: new Queue(names.build, { connection: redis }),
  };
  const shared: SharedResults = {
    cache: new VerdictCache(redis, store.keys),
    toolchain: toolchainIdentity([DEFAULT_TOOLCHAINS, DEFAULT_TOOLCHAIN]),
    wake: async (ids) => {
      for (const id of ids) await wakeOrchestrate(queues.orchestrate, redis, store.keys, id, 'shared');
    },
    recheck: (id) => recheckOrchestrate(queues.orchestrate, redis, store.keys, id, SHARED_RECHECK_MS),
  };
  const connections: Redis[] = [redis];
  const context: WorkerContext = {
    config,
    logger,
    openRepo: deps.openRepo,
    trust,
    sandbox,
    redis,
    names,
    store,
    queues,
    machines: new MachineStore(redis, config.namespace),
    history: new MachineHistory(redis, store.keys),
    testWorkers: new TestWorkerRegistry(redis, store.keys),
    ahead: buildAheadQueue(queues.build, redis, store.keys),
    shared,
    ...(storeClient ? { storeClient } : {}),
    ...(releasePins ? { releasePins } : {}),
    ...(renewPins ? { renewPins } : {}),
    share: (job) => shareRun(store, shared, job).catch((err: unknown) => logger.error({ err, bisection: job.bisectionId }, 'could not share a run')),
    orchestrateNext: (bisectionId) => enqueueOrchestrate(queues.orchestrate, redis, store.keys, bisectionId),
    connection: () => {
      const c = connectRedis(config.redisUrl);
      connections.push(c);
      return c;
    },
    workerOptions: { lockDuration: config.lockDurationMs, stalledInterval: Math.max(1000, Math.floor(config.lockDurationMs / 2)), maxStalledCount: 3 },
  };
  return {
    context,
    async close() {
      await Promise.all([queues.orchestrate.close(), queues.test.close(), queues.build.close()]);
      for (const c of connections) c.disconnect();
    },
  };
}
