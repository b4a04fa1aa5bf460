import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { BisectionStore } from './bisection-store.js';
import { advance, formatCursor, parseCursor, readStreams, waitStreams, type StreamCursor, type StreamEntry } from './bisection-streams.js';
import type { LogEvent } from './log-event.js';
import { connectRedis } from './redis-connection.js';

const redis = connectRedis(REDIS_URL);
const ns = uniqueNamespace('streams');
afterAll(async () => {
  await dropNamespace(ns);
  redis.disconnect();
});

describe('the SSE cursor', () => {
  it.each([
    [undefined, { log: '0-0', console: '0-0' }],
    ['1700000000000-3.1700000000001-0', { log: '1700000000000-3', console: '1700000000001-0' }],
    // A bare log id: no console entry was sent yet (by this server, or by one of before the split, which sent console lines from the log).
    ['1700000000000-3', { log: '1700000000000-3', console: '0-0' }],
  ])('reads %s', (id, cursor) => {
    expect(parseCursor(id)).toEqual(cursor);
  });

  it.each(['', 'x', '1-2.', '1-2.3', '1-2.3-4.5-6', '1-2 3-4'])('refuses %j', (id) => {
    expect(parseCursor(id)).toBeUndefined();
  });

  it('round-trips, and is the bare log id until a console entry is sent', () => {
    for (const c of [{ log: '5-1', console: '0-0' }, { log: '5-1', console: '7-0' }, { log: '0-0', console: '7-0' }] satisfies StreamCursor[]) expect(parseCursor(formatCursor(c))).toEqual(c);
    expect(formatCursor({ log: '5-1', console: '0-0' })).toBe('5-1');
  });
});

describe('both streams read as one, on real Redis', () => {
  const store = new BisectionStore(redis, ns);
  const id = '11111111-2222-4333-8444-555555555555';
  const commit = 'c'.repeat(40);
  const line = (n: number): Extract<LogEvent, { type: 'step-progress' }> & { phase: 'console' } => ({ type: 'step-progress', at: new Date().toISOString(), commit, phase: 'console', message: '1 console line(s)', lines: [`line ${n}`] });

  it('resumes from any message without a gap or a repeat', async () => {
    const wrote: string[] = [];
    for (let n = 0; n < 30; n++) {
      if (n % 3 === 0) wrote.push(`log:${await store.log.append(id, { type: 'step-started', at: new Date().toISOString(), commit, progress: { candidatesLeft: 9, testableLeft: 9, stepsLeft: 3, tested: n }, attempt: 1 })}`);
      else wrote.push(`console:${await store.console.append(id, line(n))}`);
    }
    const key = (e: StreamEntry): string => `${e.stream}:${e.id}`;
    const all = await readStreams(redis, store.keys, id, parseCursor(undefined)!);
    // Each stream in its own order; the two interleaved by time (to the millisecond: sequence numbers are per stream).
    expect([...all.map(key)].sort()).toEqual([...wrote].sort());
    for (const stream of ['log', 'console']) expect(all.map(key).filter((k) => k.startsWith(stream))).toEqual(wrote.filter((k) => k.startsWith(stream)));
    let cursor = parseCursor(undefined)!;
    for (let k = 0; k < all.length; k++) {
      cursor = advance(cursor, all[k]!);
      // A client that saw message k reconnects with its id.
      const resumed = await readStreams(redis, store.keys, id, parseCursor(formatCursor(cursor))!);
      expect(resumed.map(key)).toEqual(all.slice(k + 1).map(key));
    }
  });

  it('wakes a blocked reader for either stream', async () => {
    const blocking = redis.duplicate();
    try {
      const end = (await readStreams(redis, store.keys, id, parseCursor(undefined)!)).reduce(advance, parseCursor(undefined)!);
      const waiting = waitStreams(blocking, store.keys, id, end, 5000);
      await new Promise((r) => setTimeout(r, 50));
      const appended = await store.console.append(id, line(99));
      const got = await waiting;
      expect(got.map((e) => [e.stream, e.id])).toEqual([['console', appended]]);
    } finally {
      blocking.disconnect();
    }
  });
});
