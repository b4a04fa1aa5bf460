import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp, type SignInLimits } from '@kbisect/api';
import { BisectionStore, MachineStore, TokenRegistry, TreeStore, connectRedis, hashToken, queueNames, type Role, type TokenLimitOverrides } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from './redis-namespace.js';

export interface ApiTestApp {
  readonly app: FastifyInstance;
  readonly store: BisectionStore;
  readonly trees: TreeStore;
  readonly redis: Redis;
  readonly ns: string;
  /** Bisection ids the app asked to orchestrate. */
  readonly enqueued: string[];
  /** Registers `repo` as a tree (submissions must name one) and returns its name. */
  registerTree(repo: string, name?: string): Promise<string>;
  /** Listens on a loopback port (for a client in another process, e.g. the CLI) and returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The API on real Redis under its own namespace, no workers, with tokens
 * `t-<name>` for each user given, signing submissions with a fresh request
 * key as a deployment does; `close()` drops the namespace.
 */
export async function apiTestApp(label: string, users: readonly { name: string; role: Role; commandProbe?: boolean; network?: boolean; limits?: TokenLimitOverrides }[], opts: { allowCommandProbe?: boolean; now?: () => Date; signInLimits?: SignInLimits } = {}): Promise<ApiTestApp> {
  const ns = uniqueNamespace(label);
  const redis = connectRedis(REDIS_URL);
  const names = queueNames(ns);
  const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
  const store = new BisectionStore(redis, ns);
  const trees = new TreeStore(redis, ns);
  const enqueued: string[] = [];
  let treeCount = 0;
  const tokens = new TokenRegistry({ tokens: users.map((u) => ({ name: u.name, role: u.role, sha256: hashToken(`t-${u.name}`), ...(u.commandProbe ? { commandProbe: true } : {}), ...(u.network ? { network: true } : {}), ...(u.limits ? { limits: u.limits } : {}) })) });
  const app = await buildApp({
    store, machines: new MachineStore(redis, ns), trees, redis, queues, tokens, requestKey: randomBytes(32),
    allowCommandProbe: opts.allowCommandProbe ?? false, bodyLimit: 8192, now: opts.now ?? (() => new Date()),
    enqueueOrchestrate: async (id) => void enqueued.push(id),
    ...(opts.signInLimits ? { signInLimits: opts.signInLimits } : {}),
  });
  return {
    app, store, trees, redis, ns, enqueued,
    async registerTree(repo, name = `tree-${++treeCount}`) {
      await trees.register({ name, repo });
      return name;
    },
    async listen() {
      return app.listen({ host: '127.0.0.1', port: 0 });
    },
    async close() {
      await app.close();
      await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
      redis.disconnect();
      await dropNamespace(ns);
    },
  };
}
