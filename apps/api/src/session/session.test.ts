/** Browser sessions against real Redis: sign in, cookie flags, CSRF on state changes, bearer clients unaffected, sign out. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestApp, type ApiTestApp } from '../../../../test/support/api-app.js';

let t: ApiTestApp;
let app: FastifyInstance;
let redis: ApiTestApp['redis'];
let ns = '';

beforeAll(async () => {
  t = await apiTestApp('session', [{ name: 'reader', role: 'read' }, { name: 'maint', role: 'maintain' }]);
  ({ app, redis, ns } = t);
});

afterAll(() => t.close());

async function signIn(token: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token } });
  expect(res.statusCode).toBe(201);
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, csrf: res.json<{ csrf: string }>().csrf, setCookie };
}

describe('browser sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie and keeps only a hash of it in Redis', async () => {
    const { cookie, setCookie } = await signIn('t-maint');
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const sid = cookie.split('=')[1]!;
    const keys = await redis.keys(`${ns}:session:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join()).not.toContain(sid);
    expect(await redis.ttl(keys[0]!)).toBeGreaterThan(3600);
    const who = await app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
    expect(who.json()).toMatchObject({ name: 'maint', role: 'maintain' });
  });

  it('refuses a wrong token naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_UNAUTHENTICATED', field: 'token' } });
  });

  it('reads with the cookie, refuses a state change without the CSRF token, accepts it with', async () => {
    const { cookie, csrf } = await signIn('t-maint');
    expect((await app.inject({ method: 'GET', url: '/api/v1/machines', headers: { cookie } })).statusCode).toBe(200);
    const id = '00000000-0000-4000-8000-000000000001';
    const without = await app.inject({ method: 'POST', url: `/api/v1/bisections/${id}/cancel`, headers: { cookie }, payload: {} });
    expect(without.statusCode).toBe(403);
    expect(without.json()).toMatchObject({ error: { code: 'KBISECT_ERR_CSRF', field: 'x-csrf-token' } });
    const wrong = await app.inject({ method: 'POST', url: `/api/v1/bisections/${id}/cancel`, headers: { cookie, 'x-csrf-token': 'x'.repeat(43) }, payload: {} });
    expect(wrong.statusCode).toBe(403);
    const withToken = await app.inject({ method: 'POST', url: `/api/v1/bisections/${id}/cancel`, headers: { cookie, 'x-csrf-token': csrf }, payload: {} });
    // Past the CSRF check: the route itself answers (no such bisection).
    expect(withToken.statusCode).toBe(404);
  });

  it('keeps roles: a read-only session may not act', async () => {
    const { cookie, csrf } = await signIn('t-reader');
    const res = await app.inject({ method: 'POST', url: '/api/v1/machines/vm1/drain', headers: { cookie, 'x-csrf-token': csrf }, payload: {} });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_FORBIDDEN' } });
  });

  it('leaves bearer clients as they were: no CSRF token needed', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/bisections/00000000-0000-4000-8000-000000000001/cancel', headers: { authorization: 'Bearer t-maint' }, payload: {} });
    expect(res.statusCode).toBe(404);
  });

  it('signs out: the cookie stops working', async () => {
    const { cookie, csrf } = await signIn('t-reader');
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(403);
    const out = await app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect((await app.inject({ method: 'GET', url: '/api/v1/bisections', headers: { cookie } })).statusCode).toBe(401);
  });

  it('serves the UI at / and its assets with ETags that revalidate to 304', async () => {
    const page = await app.inject({ method: 'GET', url: '/b/00000000-0000-4000-8000-000000000001' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('/ui/main.js');
    const js = await app.inject({ method: 'GET', url: '/ui/main.js' });
    expect(js.headers['content-type']).toMatch(/javascript/);
    const etag = String(js.headers.etag);
    expect(etag).toMatch(/^"/);
    expect((await app.inject({ method: 'GET', url: '/ui/main.js', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    expect((await app.inject({ method: 'GET', url: '/ui/../package.json' })).statusCode).toBe(404);
  });
});
