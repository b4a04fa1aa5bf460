import type { Redis } from 'ioredis';
import { STREAM_START, compareStreamIds, type Keys, type StreamCursor } from '@kbisect/service';

/**
 * Why a resume position lies beyond what the bisection's streams hold (an id
 * this server never sent), or undefined. Without the check such a client
 * would wait silently for entries that are already behind it.
 */
export async function cursorProblem(redis: Redis, keys: Keys, id: string, cursor: StreamCursor): Promise<string | undefined> {
  const res = await redis.multi().xrevrange(keys.log(id), '+', '-', 'COUNT', 1).xrevrange(keys.console(id), '+', '-', 'COUNT', 1).exec();
  const last = (k: number): string => {
    const [err, raw] = res?.[k] ?? [new Error('no reply'), []];
    if (err) throw err;
    return (raw as [string, string[]][])[0]?.[0] ?? STREAM_START;
  };
  if (compareStreamIds(cursor.log, last(0)) > 0) return `last-event-id: ${cursor.log} is after the last event of this bisection (${last(0)})`;
  if (compareStreamIds(cursor.console, last(1)) > 0) return `last-event-id: console position ${cursor.console} is after the last console line of this bisection (${last(1)})`;
  return undefined;
}
