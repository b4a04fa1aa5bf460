import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { BisectionStore } from './bisection-store.js';
import type { ConsoleEvent } from './console-log.js';
import { toView } from './bisection-view.js';
import { scenario } from './fold-scenario.test-support.js';
import type { LogEvent } from './log-event.js';
import { connectRedis } from './redis-connection.js';
import { foldAll } from './replay.js';
import type { BisectionRequest } from './request-schema.js';
import { STATUSES } from './shared-schemas.js';

const redis = connectRedis(REDIS_URL);
const namespaces: string[] = [];
const fresh = (): { ns: string; store: BisectionStore } => {
  const ns = uniqueNamespace('store');
  namespaces.push(ns);
  return { ns, store: new BisectionStore(redis, ns) };
};
afterAll(async () => {
  for (const ns of namespaces) await dropNamespace(ns);
  redis.disconnect();
});

/** A stored bisection with the scenario's log after its `created` event. */
async function seeded(store: BisectionStore, seed: number): Promise<{ id: string; rest: LogEvent[] }> {
  const { graph, events } = scenario(seed, 25);
  const created = events[0] as Extract<LogEvent, { type: 'created' }>;
  const id = await store.create(created.request, created.by, new Date(created.at));
  await store.saveGraph(id, graph);
  return { id, rest: events.slice(1) };
}

describe('the bisection store folds incrementally, on real Redis', () => {
  it('gives after every append what a new process (a full replay) gives', async () => {
    const { ns, store } = fresh();
    for (const seed of [3, 29]) {
      const { id, rest } = await seeded(store, seed);
      for (const event of rest) {
        await store.log.append(id, event);
        const restarted = new BisectionStore(redis, ns);
        expect((await store.load(id)).fold).toEqual((await restarted.load(id)).fold);
        expect(JSON.parse((await store.viewJson(id))!)).toEqual(await restarted.view(id));
      }
      // The fold is the one replay() computes from the whole log.
      const log = (await store.log.read(id)).map((e) => e.event);
      const graph = await store.loadGraph(id);
      expect(toView(id, (await store.load(id)).fold)).toEqual(toView(id, foldAll(graph, log)));
    }
  });

  it('stays right under concurrent appends and loads', async () => {
    const { ns, store } = fresh();
    const { id, rest } = await seeded(store, 41);
    const writer = new BisectionStore(redis, ns);
    await Promise.all([
      (async () => {
        for (const event of rest) await writer.log.append(id, event);
      })(),
      ...Array.from({ length: 4 }, async () => {
        for (let i = 0; i < rest.length; i++) await store.load(id);
      }),
    ]);
    expect((await store.load(id)).fold).toEqual((await new BisectionStore(redis, ns).load(id)).fold);
  });

  it('reuses the rendered view while only console lines arrive, and renders anew on a verdict', async () => {
    const { store } = fresh();
    const { id, rest } = await seeded(store, 3);
    const upTo = rest.findIndex((e) => e.type === 'step-started');
    for (const event of rest.slice(0, upTo + 1)) await store.log.append(id, event);
    const first = await store.viewJson(id);
    const started = rest[upTo] as Extract<LogEvent, { type: 'step-started' }>;
    for (let i = 0; i < 5; i++) {
      await store.console.append(id, { type: 'step-progress', at: started.at, commit: started.commit, phase: 'console', message: '1 console line(s)', lines: [`line ${i}`] });
    }
    // An old log's console lines in the log itself: applied, but the view is the same.
    await store.log.append(id, { type: 'step-progress', at: started.at, commit: started.commit, phase: 'console', message: '1 console line(s)', lines: ['old'] });
    expect(await store.viewJson(id)).toBe(first);
    expect(await redis.xlen(store.keys.log(id))).toBe(upTo + 3);
    expect(await store.console.read(id)).toHaveLength(5);
    await store.log.append(id, rest.slice(upTo).find((e) => e.type === 'verdict')!);
    const after = await store.viewJson(id);
    expect(after).not.toBe(first);
    expect(JSON.parse(after!).verdicts.length).toBe(JSON.parse(first!).verdicts.length + 1);
  });

  it('saves the fold for the next process, which applies only the entries after it; another version is replayed', async () => {
    const { ns, store } = fresh();
    const { id, rest } = await seeded(store, 11);
    for (const event of rest) await store.log.append(id, event);
    await store.load(id);
    const [at, json] = (await redis.get(store.keys.fold(id)))!.split('\n') as [string, string];
    const saved = JSON.parse(json) as { lastId: string; created: { by: string }; step?: { state: { graph: unknown } } };
    expect(saved.lastId).toBe((await store.log.read(id)).at(-1)!.id);
    expect(at).toBe(saved.lastId);
    expect(saved.step?.state.graph).toBeNull();
    const replayed = (await new BisectionStore(redis, ns).load(id)).fold;
    // A new process takes the snapshot as it is (here marked), then folds what came after it.
    await redis.set(store.keys.fold(id), `${at}\n${JSON.stringify({ ...saved, created: { ...saved.created, by: 'from-the-snapshot' } })}`);
    const verdict = rest.find((e) => e.type === 'verdict')!;
    await store.log.append(id, { type: 'step-progress', at: verdict.at, commit: 'a'.repeat(40), phase: 'boot', message: 'booting' });
    const next = await new BisectionStore(redis, ns).load(id);
    expect(next.fold.created?.by).toBe('from-the-snapshot');
    expect(next.fold.lastId).not.toBe(saved.lastId);
    expect(next.fold.step?.state).toEqual(replayed.step?.state);
    // A snapshot of another version is ignored: the log is replayed from its start.
    await redis.set(store.keys.fold(id), `${at}\n${JSON.stringify({ ...saved, version: 0, created: { ...saved.created, by: 'stale' } })}`);
    expect((await new BisectionStore(redis, ns).load(id)).fold.created?.by).toBe('alice');
    // So is one stored before snapshots began with their position (a fold's JSON alone).
    await redis.set(store.keys.fold(id), JSON.stringify({ ...saved, created: { ...saved.created, by: 'stale' } }));
    expect((await new BisectionStore(redis, ns).load(id)).fold.created?.by).toBe('alice');
  });

  it('shows a bisection from its stored fold in a new process without parsing the graph, which is parsed when first read', async () => {
    const { ns, store } = fresh();
    const { id, rest } = await seeded(store, 11);
    for (const event of rest) await store.log.append(id, event);
    const view = await store.view(id);
    // A graph that does not parse as one: only reading it can tell.
    await redis.set(store.keys.graph(id), JSON.stringify({ commits: ['not-a-sha'], parents: [] }));
    const next = new BisectionStore(redis, ns);
    expect(JSON.parse((await next.viewJson(id))!)).toEqual(view);
    const { replayed } = await next.load(id);
    if (replayed.phase !== 'bisecting') throw new Error(`expected a bisecting fold, got ${replayed.phase}`);
    expect(() => replayed.state.graph.commits).toThrow(`stored graph of ${id} is invalid`);
  });

  it('answers no view for a bisection without a log, and keeps no fold for it', async () => {
    const { store } = fresh();
    expect(await store.viewJson('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('caps the console stream', async () => {
    const { store } = fresh();
    const { id } = await seeded(store, 3);
    const event: ConsoleEvent = { type: 'step-progress', at: new Date().toISOString(), commit: 'a'.repeat(40), phase: 'console', message: '1 console line(s)', lines: ['x'] };
    const m = redis.multi();
    for (let i = 0; i < 2600; i++) m.xadd(store.keys.console(id), '*', 'e', JSON.stringify(event));
    await m.exec();
    await store.console.append(id, event);
    const length = await redis.xlen(store.keys.console(id));
    expect(length).toBeLessThan(2600);
    expect(length).toBeGreaterThanOrEqual(2000);
  });
});

describe('bisections counted by status', () => {
  const request: BisectionRequest = { repo: '/srv/linux', good: ['v4.4'], bad: 'v4.6', probe: { type: 'command', command: 'true' } };

  it('counts all of them, past any page size, as statuses change', async () => {
    const { store } = fresh();
    const ids: string[] = [];
    for (let i = 0; i < 230; i++) ids.push(await store.create(request, 'alice', new Date(Date.UTC(2026, 0, 1, 0, 0, i))));
    for (const id of ids.slice(0, 40)) await store.setStatus(id, 'running');
    for (const id of ids.slice(0, 10)) await store.setStatus(id, 'found');
    await store.setStatus(ids[11]!, 'failed');
    expect(await store.countByStatus()).toEqual({ queued: 190, running: 29, found: 10, ambiguous: 0, failed: 1, cancelled: 0 });
    expect(await redis.hget(store.keys.meta(ids[0]!), 'status')).toBe('found');
  });

  it('adds bisections stored before the counts existed, once', async () => {
    const { store } = fresh();
    const ids: string[] = [];
    for (let i = 0; i < 620; i++) ids.push(await store.create(request, 'alice', new Date(Date.UTC(2026, 0, 1, 0, 0, i))));
    for (const id of ids.slice(0, 5)) await store.setStatus(id, 'cancelled');
    // As an older version left them: a status in the meta hash, in no set.
    await redis.del(store.keys.byStatus('queued'), store.keys.byStatus('cancelled'));
    await redis.hset(store.keys.meta(ids[600]!), 'status', 'ambiguous');
    expect(await store.countByStatus()).toEqual({ queued: 614, running: 0, found: 0, ambiguous: 1, failed: 0, cancelled: 5 });
    await store.setStatus(ids[600]!, 'found');
    expect(await store.countByStatus()).toMatchObject({ ambiguous: 0, found: 1 });
  });

  it('keeps the answered ones in index order for the text search, rebuilt for a store from before that index', async () => {
    const { store } = fresh();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await store.create(request, 'alice', new Date(Date.UTC(2026, 0, 1, 0, 0, i))));
    const answered = async () => (await redis.zrevrange(store.keys.answered, 0, -1));
    for (const id of ids.slice(0, 6)) await store.setStatus(id, id === ids[2] ? 'ambiguous' : 'found');
    await store.setStatus(ids[5]!, 'failed');
    expect(await answered()).toEqual(ids.slice(0, 5).reverse());
    // The text search pages through them with the index's cursor ('' matches any answered bisection).
    const first = await store.list({ text: ' ', limit: 2 });
    expect(first.items.map((i) => i.id)).toEqual([ids[4], ids[3]]);
    const rest = await store.list({ text: ' ', limit: 10, after: first.next! });
    expect(rest.items.map((i) => i.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rest.next).toBeUndefined();
    // As a version before the answered index left them: statuses in the meta hashes and their sets, no answered index.
    await redis.del(store.keys.answered);
    await store.setStatus(ids[20]!, 'found');
    await redis.zrem(store.keys.answered, ids[20]!);
    expect((await store.list({ text: ' ', limit: 10 })).items.map((i) => i.id)).toEqual([ids[20], ids[4], ids[3], ids[2], ids[1], ids[0]]);
    // And before the status sets: statuses in the meta hashes only.
    await redis.del(store.keys.answered, ...STATUSES.map((s) => store.keys.byStatus(s)));
    expect((await store.list({ text: ' ', limit: 10 })).items.map((i) => i.id)).toEqual([ids[20], ids[4], ids[3], ids[2], ids[1], ids[0]]);
    expect(await answered()).toEqual([ids[20]!, ...ids.slice(0, 5).reverse()]);
  });
});
