/** The sign-in rate limit against real Redis: per client address, per token tried, the 429 body, and the window's end. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestApp, type ApiTestApp } from '../../../../test/support/api-app.js';

let t: ApiTestApp;
const WINDOW_MS = 1500;

beforeAll(async () => {
  t = await apiTestApp('signin-limit', [{ name: 'maint', role: 'maintain' }], { signInLimits: { perClient: 4, perToken: 2, windowMs: WINDOW_MS } });
});

afterAll(() => t.close());

const signIn = (token: string, ip: string) => t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token }, remoteAddress: ip });

describe('sign-in rate limit', () => {
  it('refuses a client past its attempts a window with a 429, Retry-After and a body naming the field, whatever the token', async () => {
    const ip = '192.0.2.10';
    for (const guess of ['g1', 'g2', 'g3', 'g4']) expect((await signIn(guess, ip)).statusCode).toBe(401);
    const refused = await signIn('t-maint', ip);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(2);
    expect(refused.json()).toEqual({ error: { code: 'KBISECT_ERR_RATE_LIMITED', field: 'token', message: expect.stringMatching(/^token: too many sign-in attempts from this address \(4 a minute\); try again in [12] s$/) } });
    // Another address is not affected; the refused one is admitted again once its window ends.
    expect((await signIn('t-maint', '192.0.2.11')).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, WINDOW_MS + 100));
    expect((await signIn('t-maint', ip)).statusCode).toBe(201);
  });

  it('refuses one token tried from many addresses past its attempts a window', async () => {
    expect((await signIn('wrong-token', '198.51.100.1')).statusCode).toBe(401);
    expect((await signIn('wrong-token', '198.51.100.2')).statusCode).toBe(401);
    const refused = await signIn('wrong-token', '198.51.100.3');
    expect(refused.statusCode).toBe(429);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/^token: too many sign-in attempts with this token \(2 a minute\)/);
    // A different token from a fresh address still signs in.
    expect((await signIn('t-maint', '198.51.100.4')).statusCode).toBe(201);
  });
});
