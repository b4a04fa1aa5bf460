/** GET /bisections filters and pages on real Redis; the old fields stay as they were. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestApp, type ApiTestApp } from '../../../../test/support/api-app.js';
import { isAnswered } from '@kbisect/service';

let t: ApiTestApp;
const culprit = 'c'.repeat(40);
const ids: Record<string, string> = {};
const auth = { authorization: 'Bearer t-r' };

beforeAll(async () => {
  t = await apiTestApp('list', [{ name: 'r', role: 'read' }, { name: 'm', role: 'maintain' }]);
  const probe = { type: 'command' as const, command: 'make check' };
  ids.a = await t.store.create({ repo: '/srv/a', good: ['v1'], bad: 'v2', probe }, 'alice', new Date(1000));
  ids.b = await t.store.create({ repo: '/srv/b', good: ['v1'], bad: 'v2', probe }, 'bob', new Date(2000));
  ids.c = await t.store.create({ repo: '/srv/a', good: ['v1'], bad: 'v3', probe }, 'bob', new Date(3000));
  // Submitted by a registered tree's name: listed and filtered by that name, never by the path behind it.
  ids.d = await t.store.create({ repo: '/srv/linux', good: ['v1'], bad: 'v2', probe }, 'alice', new Date(500), { tree: 'linux' });
  await t.store.setStatus(ids.a, 'found');
  await t.store.log.append(ids.a, { type: 'finished', at: new Date(5000).toISOString(), status: 'found', culprit, commits: [{ sha: culprit, subject: 'mm: break pinning', authorName: 'Dev', authorEmail: 'dev@example.org', authorDate: '2020-01-01T00:00:00Z' }] });
});

afterAll(() => t.close());

const list = async (query: string) => {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/bisections?${query}`, headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: { id: string; [k: string]: unknown }[]; next?: string }>();
};

describe('GET /bisections for the triage list', () => {
  it('keeps the old fields and adds range, reproducer and finish time', async () => {
    const { items } = await list('limit=10');
    expect(items.map((i) => i.id)).toEqual([ids.c, ids.b, ids.a, ids.d]);
    expect(items[2]).toMatchObject({ id: ids.a, repo: '/srv/a', submittedBy: 'alice', good: ['v1'], bad: 'v2', reproducer: 'command: make check', finishedAt: new Date(5000).toISOString() });
    expect(Object.keys(items[0]!)).toEqual(expect.arrayContaining(['id', 'status', 'repo', 'createdAt', 'submittedBy']));
  });

  it('filters by tree, by submitter, and by both', async () => {
    expect((await list('repo=/srv/a')).items.map((i) => i.id)).toEqual([ids.c, ids.a]);
    expect((await list('submittedBy=bob')).items.map((i) => i.id)).toEqual([ids.c, ids.b]);
    expect((await list('repo=/srv/a&submittedBy=bob')).items.map((i) => i.id)).toEqual([ids.c]);
    expect((await list('repo=linux')).items).toEqual([expect.objectContaining({ id: ids.d, repo: 'linux' })]);
    expect((await list('repo=/srv/linux')).items).toEqual([]);
  });

  it("finds a bisection by words of its culprit's subject or a sha prefix", async () => {
    expect((await list('q=break%20pinning')).items.map((i) => i.id)).toEqual([ids.a]);
    expect((await list(`q=${culprit.slice(0, 8)}`)).items.map((i) => i.id)).toEqual([ids.a]);
    expect((await list('q=nothing-like-this')).items).toEqual([]);
  });

  it('finds a bisection by a culprit a maintainer named instead, once the override is recorded', async () => {
    const other = 'd'.repeat(40);
    expect((await list(`q=${other.slice(0, 10)}`)).items).toEqual([]);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${ids.a}/annotations`, headers: { authorization: 'Bearer t-m' }, payload: { kind: 'culprit-override', culprit: other, reason: 'the revert fixes it' } });
    expect(res.statusCode, res.body).toBe(201);
    expect((await list(`q=${other.slice(0, 10)}`)).items.map((i) => i.id)).toEqual([ids.a]);
    // The engine's answer is kept beside it (never rewritten), so it still finds the bisection too.
    expect((await list(`q=${culprit.slice(0, 8)}`)).items.map((i) => i.id)).toEqual([ids.a]);
  });

  it('finds a bisection stored before search summaries existed, and stores its summary', async () => {
    const old = await t.store.create({ repo: '/srv/old', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'make check' } }, 'carol', new Date(4000));
    const sha = 'e'.repeat(40);
    // Written straight to the log and the status, as an older version did: no summary in the meta hash.
    await t.redis.xadd(t.store.keys.log(old), '*', 'e', JSON.stringify({ type: 'finished', at: new Date(6000).toISOString(), status: 'found', culprit: sha, commits: [{ sha, subject: 'vfio: unpin on release', authorName: 'Dev', authorEmail: 'dev@example.org', authorDate: '2020-01-01T00:00:00Z' }] }));
    await t.store.setStatus(old, 'found');
    expect(isAnswered(await t.redis.hget(t.store.keys.meta(old), 'status') ?? '')).toBe(true);
    expect(await t.redis.hget(t.store.keys.meta(old), 'search')).toBeNull();
    expect((await list('q=unpin%20on')).items.map((i) => i.id)).toEqual([old]);
    expect(JSON.parse((await t.redis.hget(t.store.keys.meta(old), 'search'))!)).toMatchObject({ shas: [sha], text: 'vfio: unpin on release' });
    expect((await list('q=UNPIN')).items.map((i) => i.id)).toEqual([old]);
  });

  it('pages a text search with the cursor, without repeats', async () => {
    const first = await list('q=e&limit=1');
    const all = (await list('q=e&limit=10')).items.map((i) => i.id);
    expect(all).toHaveLength(2);
    expect(first.items.map((i) => i.id)).toEqual(all.slice(0, 1));
    const rest = await list(`q=e&limit=10&cursor=${encodeURIComponent(first.next!)}`);
    expect(rest.items.map((i) => i.id)).toEqual(all.slice(1));
  });

  it('pages a filtered list with the cursor, without repeats', async () => {
    const first = await list('repo=/srv/a&limit=1');
    expect(first.items.map((i) => i.id)).toEqual([ids.c]);
    const second = await list(`repo=/srv/a&limit=1&cursor=${encodeURIComponent(first.next!)}`);
    expect(second.items.map((i) => i.id)).toEqual([ids.a]);
  });

  it('refuses an unknown filter naming it', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/bisections?tree=x', headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field: 'tree' } });
  });
});
