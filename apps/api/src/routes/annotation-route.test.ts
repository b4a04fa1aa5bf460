/** POST /bisections/:id/annotations: a maintainer's judgement kept as an event, in the view and the report. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VerdictCache } from '@kbisect/service';
import { apiTestApp, type ApiTestApp } from '../../../../test/support/api-app.js';

let t: ApiTestApp;
let id = '';
const inRange = 'a'.repeat(40);
const as = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await apiTestApp('annotate', [{ name: 'mia', role: 'maintain' }, { name: 'sam', role: 'submit' }], { now: () => new Date('2026-11-30T12:00:00Z') });
  id = await t.store.create({ repo: '/srv/linux', good: ['v1'], bad: 'v2', probe: { type: 'command', command: 'true' } }, 'sam', new Date());
  await t.store.saveGraph(id, { commits: [inRange, 'b'.repeat(40)], parents: [[1], [-1]] });
});

afterAll(() => t.close());

const post = (token: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: `/api/v1/bisections/${id}/annotations`, headers: as(token), payload });

describe('POST /bisections/:id/annotations', () => {
  it('keeps an override and an invalid mark with who, when and why, in the view and the report; the list row carries the latest, without the reason', async () => {
    const listed = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/bisections', headers: as('t-sam') })).json<{ items: { id: string; judgement?: unknown }[] }>().items.find((i) => i.id === id);
    expect(await listed()).not.toHaveProperty('judgement');
    expect((await post('t-mia', { kind: 'culprit-override', culprit: inRange, reason: 'the real change' })).statusCode).toBe(201);
    expect((await listed())?.judgement).toEqual({ kind: 'culprit-override', culprit: inRange, by: 'mia', at: '2026-11-30T12:00:00.000Z' });
    expect((await post('t-mia', { kind: 'invalid', reason: 'flaky lab' })).statusCode).toBe(201);
    expect((await listed())?.judgement).toEqual({ kind: 'invalid', by: 'mia', at: '2026-11-30T12:00:00.000Z' });
    const view = (await t.app.inject({ method: 'GET', url: `/api/v1/bisections/${id}`, headers: as('t-mia') })).json<{ annotations: unknown[] }>();
    expect(view.annotations).toEqual([
      { at: '2026-11-30T12:00:00.000Z', by: 'mia', kind: 'culprit-override', culprit: inRange, reason: 'the real change' },
      { at: '2026-11-30T12:00:00.000Z', by: 'mia', kind: 'invalid', reason: 'flaky lab' },
    ]);
    const report = (await t.app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/report`, headers: as('t-mia') })).body;
    expect(report).toContain(`Maintainers said:\n  2026-11-30 12:00 mia: the culprit is ${inRange.slice(0, 12)} instead - the real change\n  2026-11-30 12:00 mia: this result is INVALID - flaky lab`);
  });

  it('names the field when the culprit is missing or outside the range, and needs maintain', async () => {
    expect((await post('t-mia', { kind: 'culprit-override', reason: 'x' })).json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field: 'culprit' } });
    expect((await post('t-mia', { kind: 'culprit-override', culprit: 'c'.repeat(40), reason: 'x' })).json()).toMatchObject({ error: { field: 'culprit', message: expect.stringContaining('not in the bisection') } });
    expect((await post('t-mia', { kind: 'invalid', reason: '' })).json()).toMatchObject({ error: { field: 'reason' } });
    expect((await post('t-sam', { kind: 'invalid', reason: 'x' })).statusCode).toBe(403);
  });

  it('an invalid mark takes the result out of the shared verdict cache even when storing the search summary fails', async () => {
    const cache = new VerdictCache(t.redis, t.store.keys);
    const slot = { fingerprint: 'fp-annotate', commit: inRange, run: 0 };
    await cache.record(slot, { verdict: 'bad', reason: 'oops', bisection: id, run: 0, at: '2026-11-30T11:00:00.000Z' });
    // The summary only saves a later search a fold; its failure must not keep a bad verdict shared.
    const refresh = vi.spyOn(t.store, 'refreshSearch').mockRejectedValueOnce(new Error('redis went away'));
    try {
      // Recorded, so a 201: a client retrying a 500 would record the judgement twice.
      expect((await post('t-mia', { kind: 'invalid', reason: 'the lab was broken' })).statusCode).toBe(201);
    } finally {
      refresh.mockRestore();
    }
    expect(await cache.lookup(slot)).toBeUndefined();
  });
});
