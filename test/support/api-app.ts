import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '@kbisect/api';
import { BisectionStore, MachineStore, TokenRegistry, connectRedis, hashToken, queueNames, type Role } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from './redis-namespace.js';

export interface ApiTestApp {
  readonly app: FastifyInstance;
  readonly store: BisectionStore;
  readonly redis: Redis;
  readonly ns: string;
  /** Bisection ids the app asked to orchestrate. */
  readonly enqueued: string[];
  close(): Promise<void>;
}

/**
 * The API on real Redis under its own namespace, no workers, with tokens
 * `t-<name>` for each user given; `close()` drops the namespace.
 */
export async function apiTestApp(label: string, users: readonly { name: string; role: Role; commandProbe?: boolean }[], opts: { allowCommandProbe?: boolean; now?: () => Date } = {}): Promise<ApiTestApp> {
  const ns = uniqueNamespace(label);
  const redis = connectRedis(REDIS_URL);
  const names = queueNames(ns);
  const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
  const store = new BisectionStore(redis, ns);
  const enqueued: string[] = [];
  const tokens = new TokenRegistry({ tokens: users.map((u) => ({ name: u.name, role: u.role, sha256: hashToken(`t-${u.name}`), ...(u.commandProbe ? { commandProbe: true } : {}) })) });
  const app = await buildApp({
    store, machines: new MachineStore(redis, ns), redis, queues, tokens,
    allowCommandProbe: opts.allowCommandProbe ?? false, bodyLimit: 8192, now: opts.now ?? (() => new Date()),
    enqueueOrchestrate: async (id) => void enqueued.push(id),
  });
  return {
    app, store, redis, ns, enqueued,
    async close() {
      await app.close();
      await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
      redis.disconnect();
      await dropNamespace(ns);
    },
  };
}
