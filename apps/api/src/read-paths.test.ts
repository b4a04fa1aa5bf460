import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BisectionStore, MachineStore, TreeStore, TokenRegistry, connectRedis, hashToken, queueNames, type BisectionRequest } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { buildApp } from './app.js';

const ns = uniqueNamespace('reads');
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const store = new BisectionStore(redis, ns);
const auth = { authorization: 'Bearer t-read' };
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp({
    store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues,
    tokens: new TokenRegistry({ tokens: [{ name: 'reader', role: 'read', sha256: hashToken('t-read') }] }),
    allowCommandProbe: true, bodyLimit: 8192, now: () => new Date(), enqueueOrchestrate: async () => undefined,
  });
});

afterAll(async () => {
  await app.close();
  await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
  redis.disconnect();
  await dropNamespace(ns);
});

const request: BisectionRequest = { repo: '/srv/linux', good: ['v4.4'], bad: 'v4.6', probe: { type: 'command', command: 'true' } };
const commit = 'c'.repeat(40);
const at = new Date().toISOString();

/** SSE messages of a finished stream: [id, event, data]. */
function messages(body: string): { id: string; event: string; data: Record<string, unknown> }[] {
  return body.split('\n\n').filter((m) => m.startsWith('id: ')).map((m) => {
    const f = Object.fromEntries(m.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
    return { id: f.id!, event: f.event!, data: JSON.parse(f.data!) as Record<string, unknown> };
  });
}

describe('GET /bisections/:id/events with console lines in their own stream', () => {
  it('delivers both streams in order, old console events in the log too, and resumes from any id without gaps or repeats', async () => {
    const id = await store.create(request, 'alice', new Date());
    // Streams interleave by time to the millisecond (sequence numbers are per stream): space the appends.
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 3));
    await tick();
    // A log written before the console had its own stream: its console lines are log entries.
    await store.log.append(id, { type: 'step-progress', at, commit, phase: 'console', message: '1 console line(s)', lines: ['old line'] });
    await tick();
    await store.console.append(id, { type: 'step-progress', at, commit, phase: 'console', message: '1 console line(s)', lines: ['new line 1'] });
    await tick();
    await tick();
    await store.log.append(id, { type: 'step-progress', at, commit, phase: 'boot', message: 'booting' });
    await tick();
    await tick();
    await store.console.append(id, { type: 'step-progress', at, commit, phase: 'console', message: '1 console line(s)', lines: ['new line 2'] });
    await tick();
    await store.log.append(id, { type: 'finished', at, status: 'failed', error: 'the lab burned down' });
    const whole = await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/events`, headers: auth });
    expect(whole.statusCode).toBe(200);
    const all = messages(whole.body);
    const said = all.map((m) => (m.data.lines as string[] | undefined)?.[0] ?? m.data.message ?? m.event);
    expect(said).toEqual(['created', 'old line', 'new line 1', 'booting', 'new line 2', 'finished']);
    for (let k = 0; k < all.length - 1; k++) {
      const resumed = await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/events`, headers: { ...auth, 'last-event-id': all[k]!.id } });
      expect(messages(resumed.body).map((m) => m.id)).toEqual(all.slice(k + 1).map((m) => m.id));
    }
    // A bare log id (what older servers sent) still resumes.
    const bare = all[1]!.id.split('.')[0]!;
    expect(messages((await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/events`, headers: { ...auth, 'last-event-id': bare } })).body).at(-1)?.event).toBe('finished');
    expect((await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/events`, headers: { ...auth, 'last-event-id': '1-1.x' } })).statusCode).toBe(400);
  });
});

describe('GET /bisections/:id', () => {
  it('serves the view as JSON, the same while console lines arrive', async () => {
    const id = await store.create(request, 'alice', new Date());
    const first = await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}`, headers: auth });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.json()).toMatchObject({ id, status: 'queued', repo: '/srv/linux', submittedBy: 'alice' });
    await store.console.append(id, { type: 'step-progress', at, commit, phase: 'console', message: '1 console line(s)', lines: ['x'] });
    expect((await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}`, headers: auth })).body).toBe(first.body);
  });
});

describe('GET /metrics', () => {
  it('counts every bisection by status (not the first 200) and shows the build queue', async () => {
    const before = await store.countByStatus();
    const ids: string[] = [];
    for (let i = 0; i < 230; i++) ids.push(await store.create(request, 'alice', new Date()));
    for (const id of ids.slice(0, 3)) await store.setStatus(id, 'found');
    const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(body).toContain(`kbisect_bisections{status="queued"} ${(before.queued ?? 0) + 227}`);
    expect(body).toContain(`kbisect_bisections{status="found"} ${(before.found ?? 0) + 3}`);
    expect(body).toMatch(/kbisect_queue_jobs\{queue="build",state="waiting"\} 0/);
  });
});
