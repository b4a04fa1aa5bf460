/** POST /bisections/:id/retry: the same request as a new bisection, checked as the retrying user's own submission. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestApp, type ApiTestApp } from '../../../../test/support/api-app.js';

let t: ApiTestApp;
const as = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await apiTestApp('retry', [{ name: 'sam', role: 'submit', commandProbe: true }, { name: 'pat', role: 'submit' }, { name: 'rita', role: 'read' }], { allowCommandProbe: true });
});

afterAll(() => t.close());

describe('POST /bisections/:id/retry', () => {
  let original = '';
  beforeAll(async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/bisections', headers: as('t-sam'), payload: { repo: '/srv/linux', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'make check' }, options: { verify: true } } });
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
  });

  it("applies the retrying user's own limits: no command probe for a token without it", async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${original}/retry`, headers: as('t-pat') });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_COMMAND_PROBE_DISABLED', field: 'probe' } });
  });

  it('needs the submit role and an existing bisection', async () => {
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/bisections/${original}/retry`, headers: as('t-rita') })).statusCode).toBe(403);
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/bisections/00000000-0000-4000-8000-000000000009/retry', headers: as('t-sam') });
    expect(missing.statusCode).toBe(404);
  });
});
