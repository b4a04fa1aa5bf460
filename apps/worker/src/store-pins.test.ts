/**
 * A bisection's pins in a real artifact store, driven by the real
 * orchestrator on real Redis: released once when the bisection ends (found,
 * or failed by a job out of retries), and renewed while it runs, so the
 * kernels it built outlive the store's pin TTL however long it waits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreClient } from '@kbisect/artifact-store';
import { artifactFiles, BUILD_TOKEN, startTestStore, type TestStore } from '../../../packages/artifact-store/src/store.test-support.js';
import { failBisection } from './fail-bisection.js';
import { renewRunningPins, startPinRenewal } from './pin-renewal.js';
import { sharedWorlds, type World } from './shared-world.test-support.js';

const { store, world, bisection, runToEnd, close } = sharedWorlds('store-pins');
afterAll(close);

const minutes = (n: number): number => n * 60_000;
const [K1, K2, K3] = ['1', '2', '3'].map((c) => c.repeat(64)) as [string, string, string];

describe("a bisection's pins in the artifact store", () => {
  let now = 0;
  let t: TestStore;
  let scratch: string;
  let client: StoreClient;
  /** Every release the orchestrator asked the store for, by bisection. */
  let released: { id: string; keys: number }[];

  beforeEach(async () => {
    now = 0;
    // One hour's TTL and room for two 1000-byte kernels: what a pin holds shows in what eviction takes.
    t = await startTestStore({ limitBytes: 2000, pinTtlHours: 1, now: () => now });
    scratch = await mkdtemp(join(tmpdir(), 'kbisect-store-pins-'));
    client = new StoreClient(t.url, BUILD_TOKEN);
    released = [];
  });
  afterEach(async () => {
    await t.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const publish = async (key: string, holder: string): Promise<void> => {
    await client.upload(key, await artifactFiles(await mkdtemp(join(scratch, 'k-')), { bzImage: Buffer.alloc(1000, key[0]) }));
    await client.pin(holder, key);
    // Distinct mtimes: the store's LRU order is the upload order.
    await new Promise((r) => setTimeout(r, 20));
  };
  const withStore = (w: World): World => ({ ...w, deps: { ...w.deps, releasePins: async (id) => void released.push({ id, keys: await client.release(id) }) } });

  it('releases them once when the bisection finds its culprit', async () => {
    const w = withStore(world());
    const id = await bisection(w);
    await publish(K1, id);
    await runToEnd(w, id, 11);
    expect((await store.view(id)).status).toBe('found');
    expect(released).toEqual([{ id, keys: 1 }]);
  });

  it('releases them once when a job out of retries fails the bisection, and not again for a second failure', async () => {
    const w = withStore(world());
    const id = await bisection(w);
    await publish(K1, id);
    const deps = { store, now: () => new Date(), releasePins: w.deps.releasePins! };
    expect(await failBisection(deps, id, 'infrastructure failure building x after 3 attempts')).toBe(true);
    expect(await failBisection(deps, id, 'infrastructure failure testing y after 3 attempts')).toBe(false);
    expect((await store.view(id)).status).toBe('failed');
    expect(released).toEqual([{ id, keys: 1 }]);
  });

  it("renews a running bisection's pins past the TTL, not an ended one's: the running one's kernel survives eviction", async () => {
    const w = world();
    const running = await bisection(w);
    await store.setStatus(running, 'running');
    // Ended without releasing (its orchestrator died): its pins must lapse.
    const ended = await bisection(w);
    await store.setStatus(ended, 'found');
    await publish(K1, running);
    await publish(K2, ended);
    now = minutes(50);
    const round = await renewRunningPins({ store, renewPins: (id) => client.renew(id) });
    expect(round.renewed).toContain(running);
    expect(round.renewed).not.toContain(ended);
    expect(round.failed).toEqual([]);
    // 90 minutes after the pins: the ended one's lapsed at 60, the running one's holds until 110.
    now = minutes(90);
    await publish(K3, 'another-bisection');
    // K1 is the least recently used, yet stays; K2 made room.
    expect(await Promise.all([K1, K2, K3].map((k) => client.has(k)))).toEqual([true, false, true]);
    await store.setStatus(running, 'cancelled');
  });

  it('renews at start and then on its interval, goes on after a failing round, and stops when told', async () => {
    const w = world();
    const running = await bisection(w);
    await store.setStatus(running, 'running');
    const asked: string[] = [];
    let failNext = true;
    const warnings: string[] = [];
    const renewal = startPinRenewal({
      store,
      renewPins: async (id) => {
        if (id !== running) return 0;
        asked.push(id);
        if (failNext) {
          failNext = false;
          throw new Error('artifact store: renewal: 502 bad gateway');
        }
        return client.renew(id);
      },
      intervalMs: 50,
      logger: { warn: (_o, msg) => void warnings.push(msg), debug: () => undefined },
    });
    for (let i = 0; i < 100 && asked.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await renewal.stop();
    const after = asked.length;
    expect(after).toBeGreaterThanOrEqual(3);
    expect(warnings[0]).toMatch(/could not renew the artifact-store pins of 1 running bisection/);
    await new Promise((r) => setTimeout(r, 150));
    expect(asked.length).toBe(after);
    await store.setStatus(running, 'cancelled');
  });
});
