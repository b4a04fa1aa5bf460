import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { freePort } from '@kbisect/lab';

export interface PrivateRedis {
  /** With the password: for this process's clients only, never printed or logged. */
  readonly url: string;
  /** The same without the password, for messages. */
  readonly displayUrl: string;
  /** The file holding the password (mode 0600), for an operator's redis-cli. */
  readonly passwordFile: string;
  stop(): Promise<void>;
}

export class PrivateRedisError extends Error {
  readonly code = 'KBISECT_ERR_PRIVATE_REDIS';
  constructor(message: string) {
    super(message);
    this.name = 'PrivateRedisError';
  }
}

/** The password of the state dir's Redis: generated once (mode 0600), kept across restarts. */
async function ensurePassword(file: string): Promise<string> {
  try {
    await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  await chmod(file, 0o600);
  const password = (await readFile(file, 'utf8')).trim();
  if (!/^[0-9a-f]{32,}$/.test(password)) throw new PrivateRedisError(`${file} does not hold a generated password; delete it to make a new one`);
  return password;
}

/**
 * A redis-server of our own for `kbisect serve` without REDIS_URL: loopback
 * only, a generated password (requirepass, from a 0600 config file, never in
 * argv where `ps` shows it), append-only file under the state dir (so a
 * restart resumes every bisection), stopped with us. The state dir is 0700
 * and Redis runs with umask 077, so its data files are 0600.
 */
export async function startPrivateRedis(stateDir: string): Promise<PrivateRedis> {
  const dir = join(stateDir, 'redis');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  await chmod(dir, 0o700);
  const passwordFile = join(dir, 'password');
  const password = await ensurePassword(passwordFile);
  const port = await freePort('tcp');
  const conf = join(dir, 'redis.conf');
  const settings = [`port ${port}`, 'bind 127.0.0.1', `dir "${dir.replace(/(["\\])/g, '\\$1')}"`, 'appendonly yes', 'appendfsync everysec', 'save ""', 'daemonize no', 'protected-mode yes', `requirepass ${password}`];
  await writeFile(conf, `${settings.join('\n')}\n`, { mode: 0o600 });
  await chmod(conf, 0o600);
  // reject: false — a missing binary shows up as an early exit, checked below. The shell only sets the umask; the config path is an argument.
  const child = execa('sh', ['-c', 'umask 077 && exec redis-server "$1"', 'sh', conf], { stdio: 'ignore', reject: false, cleanup: true });
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  const displayUrl = `redis://127.0.0.1:${port}`;
  const url = `redis://:${password}@127.0.0.1:${port}`;
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
    displayUrl,
    passwordFile,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}
