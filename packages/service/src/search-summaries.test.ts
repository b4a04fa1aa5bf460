/** Search summaries on real Redis: dropped with the append that changes them, and never stored from a fold an append overtook. */
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { BisectionStore } from './bisection-store.js';
import { connectRedis } from './redis-connection.js';
import { SEARCH_FIELD, SearchSummaries } from './search-summaries.js';

const redis = connectRedis(REDIS_URL);
const ns = uniqueNamespace('search');
afterAll(async () => {
  await dropNamespace(ns);
  redis.disconnect();
});

const culprit = 'e'.repeat(40);
const probe = { type: 'command' as const, command: 'make check' };
const stored = async (store: BisectionStore, id: string) => redis.hget(store.keys.meta(id), SEARCH_FIELD);

describe('search summaries in the meta hash', () => {
  it('are written by refreshSearch, dropped by a result or an annotation (append or appendOnce), and written again', async () => {
    const store = new BisectionStore(redis, ns);
    const id = await store.create({ repo: '/srv/a', good: ['v1'], bad: 'v2', probe }, 'alice', new Date(1000));
    await store.refreshSearch(id);
    expect(JSON.parse((await stored(store, id))!)).toMatchObject({ shas: [] });
    const commits = [{ sha: culprit, subject: 'mm: break pinning', authorName: 'Dev', authorEmail: 'dev@example.org', authorDate: '2020-01-01T00:00:00Z' }];
    await store.log.appendOnce(id, 'finished', { type: 'finished', at: new Date(2000).toISOString(), status: 'found', culprit, commits });
    expect(await stored(store, id)).toBeNull();
    await store.refreshSearch(id);
    expect(JSON.parse((await stored(store, id))!)).toMatchObject({ shas: [culprit], text: 'mm: break pinning' });
    await store.log.append(id, { type: 'annotation', at: new Date(3000).toISOString(), by: 'm', kind: 'invalid', reason: 'flaky' });
    expect(await stored(store, id)).toBeNull();
    // Progress leaves the summary alone.
    await store.refreshSearch(id);
    await store.log.append(id, { type: 'step-progress', at: new Date(4000).toISOString(), commit: culprit, phase: 'build', message: 'late' });
    expect(await stored(store, id)).not.toBeNull();
  });

  it('refuses a summary folded before the newest entry (a reader racing the writer), and never creates a bisection', async () => {
    const store = new BisectionStore(redis, ns);
    const summaries = new SearchSummaries(redis, store.keys);
    const id = await store.create({ repo: '/srv/a', good: ['v1'], bad: 'v2', probe }, 'alice', new Date(1000));
    const before = await store.log.append(id, { type: 'finished', at: new Date(2000).toISOString(), status: 'found', culprit, commits: [] });
    const after = await store.log.append(id, { type: 'annotation', at: new Date(3000).toISOString(), by: 'm', kind: 'culprit-override', culprit: 'f'.repeat(40), reason: 'r' });
    const summary = { v: 1 as const, shas: [culprit], text: '' };
    expect(await summaries.save(id, before, summary)).toBe(false);
    expect(await stored(store, id)).toBeNull();
    expect(await summaries.save(id, after, summary)).toBe(true);
    const ghost = '00000000-0000-4000-8000-000000000000';
    const last = await redis.xadd(store.keys.log(ghost), '*', 'e', '{}');
    expect(await summaries.save(ghost, last!, summary)).toBe(false);
    expect(await redis.exists(store.keys.meta(ghost))).toBe(0);
  });
});
