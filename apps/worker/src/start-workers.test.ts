/**
 * startWorkers when one role cannot start: the roles started before it must
 * stop taking jobs (a process whose start failed is about to exit, and an
 * orchestrator left running in it would take jobs it cannot finish).
 * Real Redis, a real port held by another listener.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, queueNames } from '@kbisect/service';
import { unavailableSandbox, type OpenedSandbox } from '@kbisect/sandbox';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { gitOpener } from './git-repo-adapter.js';
import { startWorkers } from './start-workers.js';
import { workerConfigFromEnv } from './worker-config.js';

describe('startWorkers when a role cannot start', () => {
  const ns = uniqueNamespace('start-workers');
  let busy: Server;
  let port = 0;
  let cacheDir = '';

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'kbisect-start-workers-'));
    busy = createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
    port = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((res) => busy.close(() => res()));
    await rm(cacheDir, { recursive: true, force: true });
    await dropNamespace(ns);
  });

  it('rejects with the role\'s error and leaves no orchestrator taking jobs', async () => {
    const env = { REDIS_URL, KBISECT_NAMESPACE: ns, KBISECT_SANDBOX: 'off', KBISECT_BOOT_HTTP_LISTEN: `127.0.0.1:${port}` };
    const config = workerConfigFromEnv(env, ['orchestrator', 'test'], { cacheDir });
    const sandbox: OpenedSandbox = { status: 'unavailable', sandbox: unavailableSandbox('no job runs here'), reason: 'no job runs here' };
    await expect(startWorkers(config, { openRepo: gitOpener(cacheDir), logger: pino({ level: 'silent' }), sandbox })).rejects.toThrow(/EADDRINUSE|in use/i);

    const redis = connectRedis(REDIS_URL);
    const queue = new Queue(queueNames(ns).orchestrate, { connection: redis });
    try {
      // BullMQ lists a worker by its connection's client name until that connection closes.
      expect(await queue.getWorkers()).toEqual([]);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
