/**
 * The API's smaller trust holes, against real Redis through inject():
 * authentication before validation, security headers everywhere, the 414
 * body, resume positions beyond the stream, per-token limits and the
 * signature on every accepted submission.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BisectionStore, DEFAULT_TOKEN_LIMITS, MachineStore, TreeStore, TokenRegistry, connectRedis, grantProblem, hashToken, queueNames, type LogEvent } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { buildApp } from './app.js';

const ns = uniqueNamespace('harden');
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const store = new BisectionStore(redis, ns);
const key = randomBytes(32);
const limits = { ...DEFAULT_TOKEN_LIMITS, maxRuns: 50, maxTimeoutSec: 600 };
const tokens = new TokenRegistry({
  tokens: [
    { name: 'reader', role: 'read', sha256: hashToken('t-read') },
    { name: 'submitter', role: 'submit', sha256: hashToken('t-submit'), commandProbe: true },
    { name: 'maintainer', role: 'maintain', sha256: hashToken('t-maintain'), commandProbe: true },
    { name: 'hasty', role: 'submit', sha256: hashToken('t-hasty'), limits: { submissionsPerMinute: 2 }, commandProbe: true },
    { name: 'busy', role: 'submit', sha256: hashToken('t-busy'), limits: { concurrentBisections: 1 }, commandProbe: true },
    { name: 'fetcher', role: 'submit', sha256: hashToken('t-fetcher'), commandProbe: true, network: true },
  ],
}, limits);
const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const request = { repo: '/srv/linux', good: ['v4.4'], bad: 'v4.6', probe: { type: 'command', command: 'make test' } };
let now = new Date('2026-11-30T12:00:00Z');
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp({
    store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues, tokens, requestKey: key,
    allowCommandProbe: true, bodyLimit: 8192, now: () => now, enqueueOrchestrate: async () => undefined,
  });
  // Submissions name a registered tree (or its exact repo).
  await new TreeStore(redis, ns).register({ name: 'linux', repo: '/srv/linux' });
});

afterAll(async () => {
  await app.close();
  await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
  redis.disconnect();
  await dropNamespace(ns);
});

describe('authentication comes before validation', () => {
  const cases: [string, string, string | undefined, Record<string, string>][] = [
    ['POST', '/api/v1/bisections', '{"repo": 1', { 'content-type': 'application/json' }],
    ['POST', '/api/v1/bisections', 'not json at all', { 'content-type': 'text/plain' }],
    ['POST', '/api/v1/bisections', JSON.stringify({ nonsense: true }), { 'content-type': 'application/json' }],
    ['GET', '/api/v1/bisections?limit=banana', undefined, {}],
    ['GET', '/api/v1/bisections/not-a-uuid', undefined, {}],
    ['GET', '/api/v1/bisections/00000000-0000-4000-8000-000000000000/events', undefined, { 'last-event-id': 'garbage' }],
    ['POST', '/api/v1/bisections/00000000-0000-4000-8000-000000000000/verdicts', JSON.stringify({ commit: 'x' }), { 'content-type': 'application/json' }],
    ['POST', '/api/v1/machines', JSON.stringify({ bmc: { password: 'hunter2' } }), { 'content-type': 'application/json' }],
    ['GET', '/api/v1/machines?pool=%00', undefined, {}],
  ];
  for (const [method, url, payload, headers] of cases) {
    it(`${method} ${url} with a bad request and no token is a 401, not a 400`, async () => {
      const res = await app.inject({ method: method as 'GET' | 'POST', url, headers, ...(payload !== undefined ? { payload } : {}) });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_UNAUTHENTICATED' } });
    });
  }
});

describe('security headers and error bodies', () => {
  it('sends nosniff and a CSP on successes, errors and 404s', async () => {
    for (const res of [
      await app.inject({ method: 'GET', url: '/healthz' }),
      await app.inject({ method: 'GET', url: '/api/v1/bisections', headers: auth('t-read') }),
      await app.inject({ method: 'GET', url: '/api/v1/bisections' }),
      await app.inject({ method: 'GET', url: '/nowhere' }),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('answers a too-long path parameter with a 414 in the documented error body', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/machines/${'a'.repeat(300)}`, headers: auth('t-read') });
    expect(res.statusCode).toBe(414);
    expect(res.json()).toEqual({ error: { code: 'KBISECT_ERR_URI_TOO_LONG', message: expect.stringContaining('longer than the limit') } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses a Last-Event-ID beyond the end of the stream with a 400 naming it', async () => {
    const id = await store.create(request as never, 'reader', now);
    const [last] = await redis.xrevrange(store.keys.log(id), '+', '-', 'COUNT', 1);
    const [ms] = last![0].split('-');
    for (const beyond of [`${Number(ms) + 1000}-0`, `${last![0]}.${Number(ms) + 5}-0`]) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/events`, headers: { ...auth('t-read'), 'last-event-id': beyond } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field: 'last-event-id', message: expect.stringContaining('after the last') } });
    }
  });
});

describe('per-token limits', () => {
  const submit = (token: string, body: Record<string, unknown> = request) => app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth(token), payload: body });

  it('keeps raised priority (below 50) for maintain and above', async () => {
    const refused = await submit('t-submit', { ...request, options: { priority: 10 } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'KBISECT_ERR_OVER_LIMIT', field: 'options.priority' } });
    expect((await submit('t-submit', { ...request, options: { priority: 80 } })).statusCode).toBe(201);
    expect((await submit('t-maintain', { ...request, options: { priority: 10 } })).statusCode).toBe(201);
  });

  it('caps run budgets and timeouts, naming the field and the limit', async () => {
    const runs = await submit('t-submit', { ...request, options: { policy: 'bayes', maxRuns: 51 } });
    expect(runs.statusCode).toBe(403);
    expect(runs.json()).toMatchObject({ error: { field: 'options.maxRuns', message: expect.stringContaining('limit of 50') } });
    const timeout = await submit('t-submit', { ...request, probe: { ...request.probe, timeoutSec: 601 } });
    expect(timeout.json()).toMatchObject({ error: { field: 'probe.timeoutSec', message: expect.stringContaining('limit of 600 s') } });
  });

  it("gives bayes the token's run limit when the request names none and the limit is under bayes's default", async () => {
    const res = await submit('t-submit', { ...request, options: { policy: 'bayes' } });
    expect(res.statusCode).toBe(201);
    const created = (await store.log.read(res.json<{ id: string }>().id))[0]!.event as Extract<LogEvent, { type: 'created' }>;
    expect(created.request.options?.maxRuns).toBe(50);
  });

  it("writes the token's timeout limit into a probe that names none when the worker's default is longer, so no run outlasts the limit", async () => {
    const createdOf = async (body: Record<string, unknown>) => {
      const res = await submit('t-submit', body);
      expect(res.statusCode).toBe(201);
      return (await store.log.read(res.json<{ id: string }>().id))[0]!.event as Extract<LogEvent, { type: 'created' }>;
    };
    // The worker would give a command probe 3600 s and a reproducer 900 s; this token may use 600.
    const filled = await createdOf(request);
    expect(filled.request.probe).toMatchObject({ type: 'command', timeoutSec: 600 });
    expect(filled.filled).toEqual(['probe.timeoutSec']);
    await new MachineStore(redis, ns).register({
      id: 'vm-01', pool: 'virtual', arch: 'x86_64', mac: '52:54:00:AB:CD:01', cmdline: 'console=ttyS0',
      bmc: { host: '127.0.0.1', port: 623, user: 'admin', password: { env: 'VM01_BMC_PASSWORD' } }, console: { type: 'sol' }, pxe: { tftpRoot: '/srv/tftp', loader: 'ipxe' },
    });
    const kernel = { ...request, probe: { type: 'kernel', configFragments: ['qemu-x86_64'], pool: 'virtual', reproducer: { name: 'boot' } } };
    expect((await createdOf(kernel)).request.probe).toMatchObject({ type: 'kernel', reproducer: { name: 'boot', timeoutSec: 600 } });
    // A timeout the request names stays as it is.
    const named = await createdOf({ ...request, probe: { ...request.probe, timeoutSec: 30 } });
    expect(named.request.probe).toMatchObject({ timeoutSec: 30 });
    expect(named.filled).toBeUndefined();
  });

  it("leaves a probe without a timeout to the worker's default when the token's limit is above it", async () => {
    const roomy = await buildApp({
      store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues, requestKey: key, allowCommandProbe: true, bodyLimit: 8192, now: () => now, enqueueOrchestrate: async () => undefined,
      tokens: new TokenRegistry({ tokens: [{ name: 'roomy', role: 'submit', sha256: hashToken('t-roomy'), commandProbe: true, limits: { maxTimeoutSec: 3600 } }] }, limits),
    });
    try {
      const res = await roomy.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-roomy'), payload: request });
      expect(res.statusCode).toBe(201);
      const created = (await store.log.read(res.json<{ id: string }>().id))[0]!.event as Extract<LogEvent, { type: 'created' }>;
      expect(created.request.probe).toEqual(request.probe);
    } finally {
      await roomy.close();
    }
  });

  it('answers submissions over the per-minute rate with a 429, Retry-After and the documented body; a minute later it admits again', async () => {
    expect((await submit('t-hasty')).statusCode).toBe(201);
    now = new Date(now.getTime() + 20_000);
    expect((await submit('t-hasty')).statusCode).toBe(201);
    const refused = await submit('t-hasty');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({ error: { code: 'KBISECT_ERR_RATE_LIMITED', message: "token 'hasty' submitted 2 bisections in the last minute, its limit" } });
    expect(Number(refused.headers['retry-after'])).toBe(40);
    now = new Date(now.getTime() + 41_000);
    expect((await submit('t-hasty')).statusCode).toBe(201);
  });

  it('counts bisections queued or running per token, and frees the slot when one ends', async () => {
    const first = await submit('t-busy');
    expect(first.statusCode).toBe(201);
    const refused = await submit('t-busy');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: 'KBISECT_ERR_TOO_MANY_BISECTIONS', message: expect.stringContaining('1 bisections queued or running') } });
    expect(refused.headers['retry-after']).toBeDefined();
    await store.setStatus(first.json<{ id: string }>().id, 'found');
    expect((await submit('t-busy')).statusCode).toBe(201);
  });
});

describe('signed submissions', () => {
  it('stores with each submission a grant the workers can verify, and the grant says what the token may do', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-submit'), payload: request });
    const id = res.json<{ id: string }>().id;
    const created = (await store.log.read(id))[0]!.event as Extract<LogEvent, { type: 'created' }>;
    expect(created.grant).toMatchObject({ role: 'submit', commandProbe: true, maxRangeCommits: limits.maxRangeCommits });
    expect(grantProblem(key, { id, by: created.by, at: created.at, request: created.request }, created.grant)).toBeUndefined();
    expect(grantProblem(randomBytes(32), { id, by: created.by, at: created.at, request: created.request }, created.grant)).toContain('does not match');
    expect(grantProblem(key, { id, by: 'someone-else', at: created.at, request: created.request }, created.grant)).toContain('does not match');
  });

  it('takes probe.network only from a token allowed it (403 naming the field otherwise, nothing stored), and signs the permission', async () => {
    const networked = { ...request, probe: { ...request.probe, network: true } };
    const before = await redis.zcard(store.keys.index);
    const refused = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-submit'), payload: networked });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ error: { code: 'KBISECT_ERR_FORBIDDEN', message: "probe.network: token 'submitter' may not give command probes the network", field: 'probe.network' } });
    expect(await redis.zcard(store.keys.index)).toBe(before);

    const accepted = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-fetcher'), payload: networked });
    expect(accepted.statusCode).toBe(201);
    const id = accepted.json<{ id: string }>().id;
    const created = (await store.log.read(id))[0]!.event as Extract<LogEvent, { type: 'created' }>;
    expect(created.request.probe).toMatchObject({ type: 'command', network: true });
    expect(created.grant).toMatchObject({ role: 'submit', commandProbe: true, network: true });
    expect(grantProblem(key, { id, by: created.by, at: created.at, request: created.request }, created.grant)).toBeUndefined();
    // A token without the permission gets it signed as false: a worker tells the two apart.
    const plain = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-submit'), payload: request });
    const plainCreated = (await store.log.read(plain.json<{ id: string }>().id))[0]!.event as Extract<LogEvent, { type: 'created' }>;
    expect(plainCreated.grant).toMatchObject({ network: false });
  });
});
