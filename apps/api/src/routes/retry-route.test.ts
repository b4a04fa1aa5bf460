/**
 * POST /bisections/:id/retry: the same request as a new bisection, checked
 * as the retrying user's own submission (limits, tree, command probes) and
 * signed like one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestApp, type ApiTestApp } from '../../../../test/support/api-app.js';

let t: ApiTestApp;
const as = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await apiTestApp('retry', [{ name: 'sam', role: 'submit', commandProbe: true }, { name: 'pat', role: 'submit' }, { name: 'rita', role: 'read' }, { name: 'lou', role: 'submit', commandProbe: true, limits: { concurrentBisections: 1 } }, { name: 'tess', role: 'submit', commandProbe: true, limits: { maxTimeoutSec: 600, maxRuns: 40 } }, { name: 'tim', role: 'submit', commandProbe: true, limits: { maxTimeoutSec: 300, maxRuns: 20 } }], { allowCommandProbe: true });
});

afterAll(() => t.close());

describe('POST /bisections/:id/retry', () => {
  let original = '';
  beforeAll(async () => {
    await t.registerTree('/srv/linux', 'linux');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/bisections', headers: as('t-sam'), payload: { repo: 'linux', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'make check' }, options: { verify: true } } });
    expect(res.statusCode, res.body).toBe(201);
    original = res.json<{ id: string }>().id;
  });

  it('submits the same request again as a new, queued bisection', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${original}/retry`, headers: as('t-sam') });
    expect(res.statusCode, res.body).toBe(201);
    const { id, retryOf } = res.json<{ id: string; retryOf: string }>();
    expect(retryOf).toBe(original);
    expect(id).not.toBe(original);
    expect(t.enqueued).toContain(id);
    const [a, b] = await Promise.all([t.store.load(original), t.store.load(id)]);
    expect(b.fold.created?.request).toEqual(a.fold.created?.request);
    expect(b.fold.created?.by).toBe('sam');
    // Through POST /bisections: the tree is named on the event and the grant is signed anew for the retrying user.
    expect(b.fold.created?.tree).toBe('linux');
    expect(b.fold.created?.grant).toBeDefined();
    expect(b.fold.created?.grant).not.toEqual(a.fold.created?.grant);
  });

  it("counts against the retrying user's limits: a 429 with Retry-After once they have as many running as allowed", async () => {
    const own = await t.app.inject({ method: 'POST', url: '/api/v1/bisections', headers: as('t-lou'), payload: { repo: 'linux', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'make check' } } });
    expect(own.statusCode, own.body).toBe(201);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${original}/retry`, headers: as('t-lou') });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_TOO_MANY_BISECTIONS' } });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses a retry whose tree is no longer registered, naming repo', async () => {
    await t.registerTree('/srv/other', 'other');
    const sub = await t.app.inject({ method: 'POST', url: '/api/v1/bisections', headers: as('t-sam'), payload: { repo: 'other', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'make check' } } });
    expect(sub.statusCode, sub.body).toBe(201);
    await t.trees.remove('other');
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${sub.json<{ id: string }>().id}/retry`, headers: as('t-sam') });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { field: 'repo', message: expect.stringContaining("'other'") } });
    // The tree's path is for admins only: the retrying submitter's error names the tree, not what was behind it.
    expect(res.body).not.toContain('/srv/other');
  });

  it("applies the retrying user's own limits: no command probe for a token without it", async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${original}/retry`, headers: as('t-pat') });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_COMMAND_PROBE_DISABLED', field: 'probe' } });
  });

  it("re-submits what the user sent, not what the first submitter's limits filled in: the retrier's own limits fill it again", async () => {
    const payload = { repo: 'linux', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'make check' }, options: { policy: 'bayes' } };
    const sub = await t.app.inject({ method: 'POST', url: '/api/v1/bisections', headers: as('t-tess'), payload });
    expect(sub.statusCode, sub.body).toBe(201);
    const first = sub.json<{ id: string }>().id;
    const requestOf = async (id: string) => (await t.store.load(id)).fold.created?.request;
    expect(await requestOf(first)).toMatchObject({ probe: { timeoutSec: 600 }, options: { maxRuns: 40 } });
    // A lower limit than tess's 600 s: re-posting the 600 the API wrote for tess was a 403 naming probe.timeoutSec.
    const lower = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${first}/retry`, headers: as('t-tim') });
    expect(lower.statusCode, lower.body).toBe(201);
    expect(await requestOf(lower.json<{ id: string }>().id)).toMatchObject({ probe: { timeoutSec: 300 }, options: { maxRuns: 20 } });
    // A roomier token gets the worker's default and bayes's own budget, as if it had submitted the request itself.
    const roomy = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${first}/retry`, headers: as('t-sam') });
    expect(roomy.statusCode, roomy.body).toBe(201);
    const retried = await requestOf(roomy.json<{ id: string }>().id);
    expect(retried?.probe).not.toHaveProperty('timeoutSec');
    expect(retried?.options).not.toHaveProperty('maxRuns');
    expect(retried?.options).toMatchObject({ policy: 'bayes' });
  });

  it('still refuses a timeout the user named that is over the retrier\'s limit, naming the field', async () => {
    const sub = await t.app.inject({ method: 'POST', url: '/api/v1/bisections', headers: as('t-tess'), payload: { repo: 'linux', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'make check', timeoutSec: 500 } } });
    expect(sub.statusCode, sub.body).toBe(201);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${sub.json<{ id: string }>().id}/retry`, headers: as('t-tim') });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_OVER_LIMIT', field: 'probe.timeoutSec' } });
  });

  it('needs the submit role and an existing bisection', async () => {
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${original}/retry`, headers: as('t-rita') })).statusCode).toBe(403);
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/bisections/00000000-0000-4000-8000-000000000009/retry', headers: as('t-sam') });
    expect(missing.statusCode).toBe(404);
  });
});
