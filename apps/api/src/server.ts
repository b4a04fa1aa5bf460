import { readFile } from 'node:fs/promises';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BisectionStore, DEFAULT_REPRODUCER_TIMEOUT_SEC, MachineStore, TokenRegistry, TreeStore, connectRedis, enqueueOrchestrate, queueNames, readRequestKey, tokenLimitsFromEnv } from '@kbisect/service';
import type { ApiConfig } from './api-config.js';
import { buildApp } from './app.js';

export interface RunningApi {
  readonly app: FastifyInstance;
  readonly url: string;
  close(): Promise<void>;
}

/** Loads tokens from the operator's file, else KBISECT_TOKENS; both hold only hashes. Limits default to KBISECT_LIMIT_*. */
export async function loadTokens(config: ApiConfig, env: NodeJS.ProcessEnv): Promise<TokenRegistry> {
  const defaults = tokenLimitsFromEnv(env);
  if (config.tokensFile) return TokenRegistry.parse(await readFile(config.tokensFile, 'utf8'), config.tokensFile, defaults);
  if (env.KBISECT_TOKENS) return TokenRegistry.fromEnv(env.KBISECT_TOKENS, defaults);
  return new TokenRegistry({ tokens: [] }, defaults);
}

/** Owns the port, the Redis connection and graceful close; app.ts stays listen-free. */
export async function startApi(config: ApiConfig, tokens: TokenRegistry, logger: Logger): Promise<RunningApi> {
  const requestKey = config.requestKeyFile !== undefined ? await readRequestKey(config.requestKeyFile) : undefined;
  const redis = connectRedis(config.redisUrl);
  const names = queueNames(config.namespace);
  // A big range's engine steps are the orchestrator's: reads take its fold instead of stalling this event loop.
  const store = new BisectionStore(redis, config.namespace, { awaitOrchestrator: {} });
  const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
  const app = await buildApp(
    {
      store,
      machines: new MachineStore(redis, config.namespace),
      trees: new TreeStore(redis, config.namespace),
      ...(config.openRepos !== undefined ? { openRepos: config.openRepos } : {}),
      redis,
      queues,
      tokens,
      allowCommandProbe: config.allowCommandProbe,
      bodyLimit: config.bodyLimit,
      sseTotalStreams: config.sseTotalStreams,
      probeTimeoutDefaults: { commandSec: config.defaultTestTimeoutSec, reproducerSec: DEFAULT_REPRODUCER_TIMEOUT_SEC },
      ...(requestKey ? { requestKey } : {}),
      ...(config.publicUrl !== undefined ? { publicUrl: config.publicUrl } : {}),
      ...(config.mailFrom !== undefined ? { mailFrom: config.mailFrom } : {}),
      now: () => new Date(),
      enqueueOrchestrate: (id) => enqueueOrchestrate(queues.orchestrate, redis, store.keys, id),
    },
    { logger },
  );
  app.server.keepAliveTimeout = 65_000;
  const url = await app.listen({ port: config.port, host: config.host });
  return {
    app,
    url,
    async close() {
      await app.close();
      await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
      redis.disconnect();
    },
  };
}
