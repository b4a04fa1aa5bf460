import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { connectRedis } from '@kbisect/service';

/**
 * A connection to the private Redis of a `kbisect serve` started by
 * startServe (its port and generated password are in the state dir, 0600):
 * for tests that write what a lab worker would (console lines, a machine's
 * test record) without booting a kernel.
 */
export async function serveRedis(stateDir: string): Promise<Redis> {
  const dir = join(stateDir, 'redis');
  const conf = await readFile(join(dir, 'redis.conf'), 'utf8');
  const port = /^port (\d+)$/m.exec(conf)?.[1];
  if (!port) throw new Error(`no port in ${join(dir, 'redis.conf')}`);
  const password = (await readFile(join(dir, 'password'), 'utf8')).trim();
  return connectRedis(`redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`);
}
