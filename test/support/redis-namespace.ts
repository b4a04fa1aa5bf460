/**
 * A Redis namespace per test: every key and queue of the test lives under a
 * unique prefix on the shared server (REDIS_URL, else 127.0.0.1:6379) and is
 * deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueNamespace(label: string): string {
  return `kbt-${label}-${randomBytes(4).toString('hex')}`;
}

export async function dropNamespace(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    // Keys of our store and of BullMQ's queues (bull:<namespace>-…).
    for (const pattern of [`${namespace}:*`, `bull:${namespace}-*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
