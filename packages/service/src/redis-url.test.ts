/**
 * KBISECT_REDIS_PASSWORD_FILE against a real redis-server that has an ACL
 * user with a password (as docker-compose configures it): the URL built
 * from the file authenticates, and without it Redis answers NOAUTH.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrlFromEnv, RedisUrlError } from './redis-url.js';

let dir: string;
const startRedis = (conf: string) => execa('redis-server', [conf], { reject: false, stdio: 'ignore', cleanup: true });
let server: ReturnType<typeof startRedis>;
let port: number;
const password = 'p@ss/w:rd%&#x';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-redis-acl-'));
  port = await freePort();
  await writeFile(join(dir, 'users.acl'), `user default off\nuser kbisect on >${password} ~* &* +@all\n`);
  await writeFile(join(dir, 'redis.conf'), `port ${port}\nbind 127.0.0.1\nsave ""\naclfile ${join(dir, 'users.acl')}\n`);
  await writeFile(join(dir, 'password'), `${password}\n`);
  await chmod(join(dir, 'password'), 0o600);
  server = startRedis(join(dir, 'redis.conf'));
  for (let i = 0; i < 100; i++) {
    const probe = await execa('redis-cli', ['-p', String(port), 'PING'], { reject: false, timeout: 5000 });
    if (`${probe.stdout}${probe.stderr}`.includes('NOAUTH')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  server.kill('SIGTERM');
  await server;
  await rm(dir, { recursive: true, force: true });
});

describe('redisUrlFromEnv', () => {
  it('authenticates as the URL\'s user with the password from the file', async () => {
    const url = redisUrlFromEnv({ REDIS_URL: `redis://kbisect@127.0.0.1:${port}`, KBISECT_REDIS_PASSWORD_FILE: join(dir, 'password') });
    const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('gets NOAUTH without the password', async () => {
    const anonymous = await execa('redis-cli', ['-p', String(port), 'GET', 'x'], { reject: false, timeout: 5000 });
    expect(`${anonymous.stdout}${anonymous.stderr}`).toContain('NOAUTH');
  });

  it('names the variable when the file cannot be read, without a path or a stack', () => {
    expect(() => redisUrlFromEnv({ KBISECT_REDIS_PASSWORD_FILE: join(dir, 'missing') })).toThrow(new RedisUrlError('KBISECT_REDIS_PASSWORD_FILE: cannot read the password file (ENOENT)'));
  });

  it('leaves REDIS_URL as it is without a password file', () => {
    expect(redisUrlFromEnv({ REDIS_URL: 'redis://127.0.0.1:7000' })).toBe('redis://127.0.0.1:7000');
  });
});
