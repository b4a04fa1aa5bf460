/**
 * The API's reads of a big range, on real Redis: the engine's steps are the
 * orchestrator's — a read waits for its stored fold instead of taking the
 * step on its own event loop — and without an orchestrator a read folds
 * itself after a while. Stored folds never move back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { emptyFold } from './bisection-fold.js';
import { BisectionStore } from './bisection-store.js';
import { scenario } from './fold-scenario.test-support.js';
import { FoldSnapshots } from './fold-snapshot.js';
import { keysFor } from './keys.js';
import type { LogEvent } from './log-event.js';
import type { OrchestratorFoldOptions } from './orchestrator-folds.js';
import { connectRedis } from './redis-connection.js';

const redis = connectRedis(REDIS_URL);
const namespaces: string[] = [];
afterAll(async () => {
  for (const ns of namespaces) await dropNamespace(ns);
  redis.disconnect();
});

/** A bisection logged up to (not including) its first verdict, folded and saved by the orchestrator; the API's store has read it. */
async function started(api: OrchestratorFoldOptions): Promise<{ ns: string; orchestrator: BisectionStore; reader: BisectionStore; id: string; verdict: LogEvent }> {
  const ns = uniqueNamespace('orch-folds');
  namespaces.push(ns);
  const orchestrator = new BisectionStore(redis, ns);
  const reader = new BisectionStore(redis, ns, { awaitOrchestrator: api });
  const { graph, events } = scenario(3, 25);
  const created = events[0] as Extract<LogEvent, { type: 'created' }>;
  const id = await orchestrator.create(created.request, created.by, new Date(created.at));
  await orchestrator.saveGraph(id, graph);
  const first = events.findIndex((e) => e.type === 'verdict');
  for (const event of events.slice(1, first)) await orchestrator.log.append(id, event);
  await orchestrator.load(id);
  await reader.load(id);
  return { ns, orchestrator, reader, id, verdict: events[first]! };
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'pending'> => Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

describe("reads of a big range take the orchestrator's engine steps", () => {
  it('wait for the fold the orchestrator saves after a verdict, and show what it folded', async () => {
    const { orchestrator, reader, id, verdict } = await started({ fromCommits: 10, waitMs: 10_000, pollMs: 10 });
    const before = JSON.parse((await reader.viewJson(id))!) as { verdicts: unknown[] };
    await orchestrator.log.append(id, verdict);
    const read = reader.viewJson(id);
    // Taking the engine's step itself would have answered at once.
    expect(await within(read, 300)).toBe('pending');
    await orchestrator.load(id);
    const view = JSON.parse((await read)!) as { verdicts: unknown[] };
    expect(view).toEqual(await orchestrator.view(id));
    expect(view.verdicts).toHaveLength(before.verdicts.length + 1);
  });

  it('fold it themselves when no orchestrator saves a fold in time', async () => {
    const { ns, orchestrator, reader, id, verdict } = await started({ fromCommits: 10, waitMs: 200, pollMs: 10 });
    await orchestrator.log.append(id, verdict);
    const t0 = performance.now();
    const view = JSON.parse((await reader.viewJson(id))!) as unknown;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    // What a new process replaying the whole log shows.
    expect(view).toEqual(await new BisectionStore(redis, ns).view(id));
  });

  it('do not wait on a stored fold that is far enough but unusable (another version): they fold at once and store theirs', async () => {
    const { ns, orchestrator, reader, id, verdict } = await started({ fromCommits: 10, waitMs: 60_000, pollMs: 10 });
    const entryId = await orchestrator.log.append(id, verdict);
    // What a process of an older FOLD_VERSION left at the log's head: no pass will come to replace it.
    await redis.set(keysFor(ns).fold(id), `${entryId}\n${JSON.stringify({ ...emptyFold(), version: -1, lastId: entryId })}`);
    const view = await within(reader.view(id), 5000);
    expect(view).not.toBe('pending');
    expect(view).toEqual(await new BisectionStore(redis, ns).view(id));
    expect((await new FoldSnapshots(redis, keysFor(ns)).load(id, () => orchestrator.loadGraph(id)))?.lastId).toBe(entryId);
  });

  it('are folded by the reader at once below the size where the orchestrator takes over', async () => {
    const { orchestrator, reader, id, verdict } = await started({ fromCommits: 1_000_000, waitMs: 60_000 });
    await orchestrator.log.append(id, verdict);
    const view = await within(reader.view(id), 2000);
    expect(view).not.toBe('pending');
    expect(view).toEqual(await orchestrator.view(id));
  });
});

describe('stored folds', () => {
  it('never move back: an older fold saved after a newer one is not stored', async () => {
    const ns = uniqueNamespace('orch-folds');
    namespaces.push(ns);
    const snapshots = new FoldSnapshots(redis, keysFor(ns));
    const id = '00000000-0000-4000-8000-000000000001';
    await snapshots.save(id, { ...emptyFold(), lastId: '1700000000000-2' });
    await snapshots.save(id, { ...emptyFold(), lastId: '1700000000000-1' });
    await snapshots.save(id, { ...emptyFold(), lastId: '999-9' });
    expect(await snapshots.lastIdOf(id)).toBe('1700000000000-2');
    await snapshots.save(id, { ...emptyFold(), lastId: '1700000000001-0' });
    expect(await snapshots.lastIdOf(id)).toBe('1700000000001-0');
    expect((await snapshots.load(id, async () => undefined))?.lastId).toBe('1700000000001-0');
    // A fold at the same position replaces the stored one (it may be of another version that no one can load).
    await redis.set(keysFor(ns).fold(id), `1700000000001-0\n${JSON.stringify({ ...emptyFold(), version: -1, lastId: '1700000000001-0' })}`);
    expect(await snapshots.load(id, async () => undefined)).toBeUndefined();
    await snapshots.save(id, { ...emptyFold(), lastId: '1700000000001-0' });
    expect((await snapshots.load(id, async () => undefined))?.lastId).toBe('1700000000001-0');
  });
});
