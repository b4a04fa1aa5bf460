import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { freePort } from '@kbisect/lab';

export interface PrivateRedis {
  readonly url: string;
  stop(): Promise<void>;
}

export class PrivateRedisError extends Error {
  readonly code = 'KBISECT_ERR_PRIVATE_REDIS';
  constructor(message: string) {
    super(message);
    this.name = 'PrivateRedisError';
  }
}

/**
 * A redis-server of our own for `kbisect serve` without REDIS_URL: loopback
 * only, append-only file under the state dir (so a restart resumes every
 * bisection), stopped with us.
 */
export async function startPrivateRedis(stateDir: string): Promise<PrivateRedis> {
  const dir = join(stateDir, 'redis');
  await mkdir(dir, { recursive: true });
  const port = await freePort('tcp');
  // reject: false — a missing binary shows up as an early exit, checked below.
  const child = execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'], { stdio: 'ignore', reject: false, cleanup: true });
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let i = 0; ; i++) {
    if (exited) throw new PrivateRedisError('redis-server exited at start (is it installed? run scripts/setup, or set REDIS_URL)');
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      probe.disconnect();
      if (i > 100) {
        child.kill('SIGKILL');
        throw new PrivateRedisError(`redis-server did not answer on port ${port}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.disconnect();
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}
