import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { keysFor } from './keys.js';
import { connectRedis } from './redis-connection.js';
import { TEST_WORKER_CAPABILITIES, TestWorkerRegistry } from './test-worker-registry.js';
import { VerdictCache, type CachedRun } from './verdict-cache.js';

const redis = connectRedis(REDIS_URL);
const namespaces: string[] = [];
const fresh = (options: { claimTtlMs?: number } = {}): { cache: VerdictCache; ns: string } => {
  const ns = uniqueNamespace('verdicts');
  namespaces.push(ns);
  return { cache: new VerdictCache(redis, keysFor(ns), options), ns };
};
afterAll(async () => {
  for (const ns of namespaces) await dropNamespace(ns);
  redis.disconnect();
});

const commit = 'c'.repeat(40);
const slot = { fingerprint: 'f'.repeat(32), commit, run: 0 };
const run = (bisection: string, verdict: 'good' | 'bad' = 'bad'): CachedRun => ({ verdict, reason: 'exit 1', bisection, run: 0, at: new Date(0).toISOString(), evidence: `test-${commit}` });

describe('the shared verdict cache on real Redis', () => {
  it('lets one bisection claim a run, makes the others wait, and hands them the result when it lands', async () => {
    const { cache } = fresh();
    expect(await cache.claim(slot, 'A')).toEqual({ kind: 'mine' });
    expect(await cache.claim(slot, 'A')).toEqual({ kind: 'mine' });
    expect(await cache.claim(slot, 'B')).toEqual({ kind: 'shared', from: 'A' });
    expect(await cache.claim(slot, 'C')).toEqual({ kind: 'shared', from: 'A' });
    await cache.record(slot, run('A'));
    // Only the holder's release counts, and it names everyone who waited.
    expect(await cache.release(slot, 'B')).toEqual([]);
    expect((await cache.release(slot, 'A')).sort()).toEqual(['B', 'C']);
    expect(await cache.claim(slot, 'B')).toEqual({ kind: 'cached', run: run('A') });
    expect(await cache.knownCommits(slot.fingerprint)).toEqual([commit]);
    expect(await cache.lookup({ ...slot, run: 1 })).toBeUndefined();
  });

  it('looks many runs up in one round trip, each answer in its slot, a miss as undefined', async () => {
    const { cache } = fresh();
    const other = { ...slot, commit: 'd'.repeat(40) };
    const reverted = { ...slot, revert: 'e'.repeat(40) };
    await cache.record(slot, run('A', 'bad'));
    await cache.record(other, run('B', 'good'));
    const answers = await cache.lookupAll([other, { ...slot, run: 1 }, slot, reverted]);
    expect(answers.map((a) => a && [a.bisection, a.verdict])).toEqual([['B', 'good'], undefined, ['A', 'bad'], undefined]);
    expect(await cache.lookupAll([])).toEqual([]);
  });

  it('among many bisections asking at once, exactly one tests the run', async () => {
    const { cache } = fresh();
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => cache.claim(slot, `B${i}`)));
    expect(claims.filter((c) => c.kind === 'mine')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'shared')).toHaveLength(19);
  });

  it('keeps the first result of a run, and a bisection that ends wakes whoever waited for its claims', async () => {
    const { cache } = fresh();
    await cache.record(slot, run('A', 'bad'));
    await cache.record(slot, run('B', 'good'));
    expect((await cache.lookup(slot))?.bisection).toBe('A');
    const other = { ...slot, commit: 'd'.repeat(40) };
    expect(await cache.claim(other, 'A')).toEqual({ kind: 'mine' });
    expect(await cache.claim(other, 'W')).toEqual({ kind: 'shared', from: 'A' });
    expect(await cache.releaseAll('A')).toEqual(['W']);
    expect(await cache.claim(other, 'W')).toEqual({ kind: 'mine' });
  });

  it('forgets what an invalidated bisection wrote, and only that', async () => {
    const { cache } = fresh();
    await cache.record(slot, run('A'));
    const second = { ...slot, run: 1 };
    await cache.record(second, { ...run('B'), run: 1 });
    expect(await cache.invalidateFrom('A')).toBe(1);
    expect(await cache.lookup(slot)).toBeUndefined();
    expect((await cache.lookup(second))?.bisection).toBe('B');
    expect(await cache.claim(slot, 'C')).toEqual({ kind: 'mine' });
  });

  it('a holder whose claim lapsed (a test that waited past the lease) still wakes the waiters when it lands, and they take its result', async () => {
    const cache = await lapsedClaimOfAWithWaiterW();
    await cache.record(slot, run('A'));
    // Before the fix the lapsed claim made this release a no-op: W stayed a waiter nobody would wake.
    expect(await cache.release(slot, 'A')).toEqual(['W']);
    expect(await cache.claim(slot, 'W')).toEqual({ kind: 'cached', run: run('A') });
  });

  /** A claims the slot with a 100 ms lease, W waits for it, and A's claim lapses. */
  async function lapsedClaimOfAWithWaiterW(): Promise<VerdictCache> {
    const { cache } = fresh({ claimTtlMs: 100 });
    expect(await cache.claim(slot, 'A')).toEqual({ kind: 'mine' });
    expect(await cache.claim(slot, 'W')).toEqual({ kind: 'shared', from: 'A' });
    await new Promise((r) => setTimeout(r, 250));
    return cache;
  }

  it('a lapsed claim is the waiter\'s to take; a claim another bisection holds now keeps its waiters for that holder to wake', async () => {
    const cache = await lapsedClaimOfAWithWaiterW();
    expect(await cache.claim(slot, 'V')).toEqual({ kind: 'mine' });
    // A's late release must not take V's waiters from it (V would wake nobody).
    expect(await cache.claim(slot, 'U')).toEqual({ kind: 'shared', from: 'V' });
    expect(await cache.release(slot, 'A')).toEqual([]);
    expect((await cache.release(slot, 'V')).sort()).toEqual(['U', 'W']);
  });

  it('a waiter that became the holder (its holder\'s claim lapsed, or it took the claim over) is not woken by its own release', async () => {
    const cache = await lapsedClaimOfAWithWaiterW();
    expect(await cache.claim(slot, 'W')).toEqual({ kind: 'mine' });
    expect(await cache.claim(slot, 'V')).toEqual({ kind: 'shared', from: 'W' });
    expect(await cache.release(slot, 'W')).toEqual(['V']);
    const other = { ...slot, commit: 'd'.repeat(40) };
    expect(await cache.claim(other, 'A')).toEqual({ kind: 'mine' });
    expect(await cache.claim(other, 'W')).toEqual({ kind: 'shared', from: 'A' });
    expect(await cache.takeOver(other, 'A', 'W')).toBe(true);
    expect(await cache.release(other, 'W')).toEqual([]);
  });

  it('a result marked invalid between its landing and the waiter\'s next pass: the waiter tests the run itself', async () => {
    const { cache } = fresh();
    expect(await cache.claim(slot, 'A')).toEqual({ kind: 'mine' });
    expect(await cache.claim(slot, 'W')).toEqual({ kind: 'shared', from: 'A' });
    await cache.record(slot, run('A'));
    expect(await cache.release(slot, 'A')).toEqual(['W']);
    expect(await cache.invalidateFrom('A')).toBe(1);
    expect(await cache.claim(slot, 'W')).toEqual({ kind: 'mine' });
  });

  it('a claim passes to the asker only from the bisection still holding it, and the asker\'s end then releases it', async () => {
    const { cache } = fresh();
    expect(await cache.claim(slot, 'A')).toEqual({ kind: 'mine' });
    expect(await cache.claim(slot, 'W')).toEqual({ kind: 'shared', from: 'A' });
    expect(await cache.takeOver(slot, 'X', 'W')).toBe(false);
    expect(await cache.takeOver(slot, 'A', 'W')).toBe(true);
    expect(await cache.claim(slot, 'W')).toEqual({ kind: 'mine' });
    expect(await cache.claim(slot, 'V')).toEqual({ kind: 'shared', from: 'W' });
    // A's late release finds nothing of its own; W's end wakes V.
    expect(await cache.releaseAll('A')).toEqual([]);
    expect(await cache.releaseAll('W')).toEqual(['V']);
  });

  it('treats an entry that does not parse as absent (the run is tested again)', async () => {
    const { cache, ns } = fresh();
    await redis.hset(keysFor(ns).verdicts(slot.fingerprint, commit), '0', '{"verdict":"maybe"}');
    expect(await cache.claim(slot, 'A')).toEqual({ kind: 'mine' });
  });

  it('treats an entry that is not JSON at all as absent too', async () => {
    const { cache, ns } = fresh();
    await redis.hset(keysFor(ns).verdicts(slot.fingerprint, commit), '0', 'not json');
    expect(await cache.claim(slot, 'A')).toEqual({ kind: 'mine' });
  });

  it('never hands a bisection its own cached run back: it asked again, so it wants a new test (and a claim)', async () => {
    const { cache } = fresh();
    await cache.record(slot, run('A'));
    expect(await cache.claim(slot, 'A')).toEqual({ kind: 'mine' });
    // Its claim makes others wait as for any run; the cached entry still answers them.
    expect(await cache.claim(slot, 'B')).toEqual({ kind: 'cached', run: run('A') });
    // Its new result does not replace the first one.
    await cache.record(slot, run('A', 'good'));
    expect((await cache.lookup(slot))?.verdict).toBe('bad');
    expect(await cache.release(slot, 'A')).toEqual([]);
  });

  it('keeps a reverted kernel\'s runs apart from the commit\'s: only the same revert answers, and it is no known commit', async () => {
    const { cache } = fresh();
    const reverted = { ...slot, revert: 'e'.repeat(40) };
    await cache.record(reverted, { ...run('A', 'good'), purpose: 'verify-revert' });
    expect(await cache.lookup(slot)).toBeUndefined();
    expect(await cache.lookup({ ...slot, revert: 'f'.repeat(40) })).toBeUndefined();
    expect(await cache.claim(reverted, 'B')).toEqual({ kind: 'cached', run: { ...run('A', 'good'), purpose: 'verify-revert' } });
    expect(await cache.knownCommits(slot.fingerprint)).toEqual([]);
    expect([...(await cache.runsOf(slot.fingerprint, commit, reverted.revert)).keys()]).toEqual([0]);
    // Claims of the two kernels are apart too, and an ended bisection lets go of a reverted one's.
    expect(await cache.claim({ ...slot, run: 1 }, 'C')).toEqual({ kind: 'mine' });
    expect(await cache.claim({ ...reverted, run: 1 }, 'D')).toEqual({ kind: 'mine' });
    expect(await cache.claim({ ...reverted, run: 1 }, 'W')).toEqual({ kind: 'shared', from: 'D' });
    expect(await cache.releaseAll('D')).toEqual(['W']);
    expect(await cache.claim({ ...reverted, run: 1 }, 'W')).toEqual({ kind: 'mine' });
    // An invalid result takes its reverted runs out as well.
    expect(await cache.invalidateFrom('A')).toBe(1);
    expect(await cache.lookup(reverted)).toBeUndefined();
  });
});

describe('the live test worker slots on real Redis', () => {
  it('sums the slots of workers whose announcement has not expired', async () => {
    const ns = uniqueNamespace('workers');
    namespaces.push(ns);
    let now = 1_000;
    const registry = new TestWorkerRegistry(redis, keysFor(ns), () => now);
    expect(await registry.liveSlots()).toBe(0);
    await registry.announce('w1', 4, 30_000, TEST_WORKER_CAPABILITIES);
    await registry.announce('w2', 2, 10_000, TEST_WORKER_CAPABILITIES);
    expect(await registry.liveSlots()).toBe(6);
    now += 20_000;
    expect(await registry.liveSlots()).toBe(4);
    await registry.withdraw('w1');
    expect(await registry.liveSlots()).toBe(0);
  });

  it('knows what each live test worker may run: a step waits only for a worker with every capability it needs', async () => {
    const ns = uniqueNamespace('workers-caps');
    namespaces.push(ns);
    let now = 1_000;
    const registry = new TestWorkerRegistry(redis, keysFor(ns), () => now);
    await registry.announce('command-only', 4, 30_000, ['requests', 'command']);
    await registry.announce('network', 1, 10_000, ['requests', 'command', 'network']);
    await registry.announce('kernels-only', 2, 30_000, ['requests']);
    await registry.announce('nothing', 2, 30_000, []);
    expect(await registry.liveCapable(['requests', 'command', 'network'])).toBe(1);
    expect(await registry.liveCapable(['requests', 'command'])).toBe(2);
    expect(await registry.liveCapable(['requests'])).toBe(3);
    expect(await registry.liveSlots()).toBe(9);
    now += 20_000;
    // The network worker's entry expired (it died without withdrawing): nothing can run a network probe now.
    expect(await registry.liveCapable(['requests', 'command', 'network'])).toBe(0);
    // A worker from before capabilities were announced ("slots until") is taken as able to run anything.
    await redis.hset(keysFor(ns).testWorkers, 'older', `1 ${now + 30_000}`);
    expect(await registry.liveCapable(['requests', 'command', 'network'])).toBe(1);
    expect(await registry.liveSlots()).toBe(9);
  });
});
