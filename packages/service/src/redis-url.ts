import { readFileSync } from 'node:fs';

export class RedisUrlError extends Error {
  readonly code = 'KBISECT_ERR_REDIS_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'RedisUrlError';
  }
}

/**
 * The Redis URL every client uses: REDIS_URL (default 127.0.0.1:6379), with
 * the password from KBISECT_REDIS_PASSWORD_FILE (first line) when set, so a
 * deployment keeps the password in a secret file instead of the environment
 * shown by `docker inspect`. The user, if any, comes from the URL
 * (redis://kbisect@redis:6379). Read once at startup; never logged.
 */
export function redisUrlFromEnv(env: NodeJS.ProcessEnv): string {
  const base = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const file = env.KBISECT_REDIS_PASSWORD_FILE;
  if (!file) return base;
  let password: string;
  try {
    password = readFileSync(file, 'utf8').split('\n')[0]!.trim();
  } catch (err) {
    throw new RedisUrlError(`KBISECT_REDIS_PASSWORD_FILE: cannot read the password file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (password === '') throw new RedisUrlError('KBISECT_REDIS_PASSWORD_FILE: the password file is empty');
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new RedisUrlError('REDIS_URL: not a URL (redis://[user@]host:port)');
  }
  // Encoded whole ('%' included, which the setter would leave as is); ioredis decodes it.
  url.password = encodeURIComponent(password);
  return url.toString();
}
