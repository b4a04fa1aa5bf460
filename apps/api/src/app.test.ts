import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BisectionStore, MachineStore, TreeStore, TokenRegistry, connectRedis, hashToken, queueNames } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { graphOf } from '@kbisect/bisect/testing';
import { buildApp } from './app.js';

const ns = uniqueNamespace('api');
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const tokens = new TokenRegistry({
  tokens: [
    { name: 'reader', role: 'read', sha256: hashToken('t-read') },
    { name: 'submitter', role: 'submit', sha256: hashToken('t-submit'), commandProbe: true },
    { name: 'plain', role: 'submit', sha256: hashToken('t-plain') },
    { name: 'maintainer', role: 'maintain', sha256: hashToken('t-maintain') },
  ],
});
const enqueued: string[] = [];
let app: FastifyInstance;

const good = { repo: 'linux', good: ['v4.4'], bad: 'v4.6-rc5', probe: { type: 'command' as const, command: 'true' } };
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  app = await buildApp({
    store: new BisectionStore(redis, ns),
    machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns),
    redis,
    queues,
    tokens,
    allowCommandProbe: true,
    bodyLimit: 8192,
    now: () => new Date('2026-11-24T00:00:00Z'),
    enqueueOrchestrate: async (id) => void enqueued.push(id),
  });
  await new TreeStore(redis, ns).register({ name: 'linux', repo: '/srv/linux' });
});

afterAll(async () => {
  await app.close();
  await queues.orchestrate.close();
  await queues.build.close();
  await queues.test.close();
  redis.disconnect();
  await dropNamespace(ns);
});

describe('POST /api/v1/bisections', () => {
  it('queues a valid request and enqueues its orchestration', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-submit'), payload: good });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ id: string; status: string }>();
    expect(body.status).toBe('queued');
    expect(enqueued).toContain(body.id);
    const view = await app.inject({ method: 'GET', url: `/api/v1/bisections/${body.id}`, headers: auth('t-read') });
    expect(view.json()).toMatchObject({ id: body.id, status: 'queued', repo: 'linux', submittedBy: 'submitter' });
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['missing bad', { ...good, bad: undefined }, 'bad'],
    ['empty good list', { ...good, good: [] }, 'good'],
    ['a ref that is an option', { ...good, good: ['--upload-pack=touch x'] }, 'good'],
    ['bad that is an option', { ...good, bad: '-x' }, 'bad'],
    ['unknown field', { ...good, extra: 1 }, 'extra'],
    ['unknown probe type', { ...good, probe: { type: 'nope' } }, 'probe'],
    ['an ext:: repository', { ...good, repo: 'ext::sh -c touch% /tmp/pwned' }, 'repo'],
    ['retries out of range', { ...good, options: { retries: 99 } }, 'options'],
  ];
  for (const [name, payload, field] of bad) {
    it(`refuses ${name} with a 400 naming ${field}`, async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-submit'), payload });
      expect(res.statusCode).toBe(400);
      const body = res.json<{ error: { code: string; message: string; field?: string } }>();
      expect(body.error.code).toMatch(/^KBISECT_ERR_/);
      expect(`${body.error.field ?? ''} ${body.error.message}`).toContain(field);
    });
  }

  describe('with importLog, good and bad may be left out', () => {
    const [B, G, X] = ['b', 'a', 'c'].map((c) => c.repeat(40)) as [string, string, string];
    // As git writes it: the start line's ends resolved in comments before it, then the marks.
    const gitLog = `# bad: [${B}] mm: the bug\n# good: [${G}] v4.4\ngit bisect start '${B}' '${G}'\n# bad: [${X}] mm: later\ngit bisect bad ${X}\n`;
    const { good: _good, bad: _bad, ...noEnds } = good;
    const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-submit'), payload });
    const errorOf = (res: Awaited<ReturnType<typeof post>>) => res.json<{ error: { field?: string; message: string } }>().error;

    it("takes the ends from the log's start and stores them with the request", async () => {
      const res = await post({ ...noEnds, importLog: gitLog });
      expect(res.statusCode, res.body).toBe(201);
      const view = await app.inject({ method: 'GET', url: `/api/v1/bisections/${res.json<{ id: string }>().id}`, headers: auth('t-read') });
      expect(view.json()).toMatchObject({ good: [G], bad: B, status: 'queued' });
    });

    it('takes revisions as the start line names them when git wrote no comments, beside an end the request gives', async () => {
      const res = await post({ ...noEnds, bad: 'v4.6-rc5', importLog: 'git bisect start v4.6-rc5 v4.4 v4.3\n' });
      expect(res.statusCode, res.body).toBe(201);
      const view = await app.inject({ method: 'GET', url: `/api/v1/bisections/${res.json<{ id: string }>().id}`, headers: auth('t-read') });
      expect(view.json()).toMatchObject({ good: ['v4.4', 'v4.3'], bad: 'v4.6-rc5' });
    });

    const refused: [string, Record<string, unknown>, string, RegExp][] = [
      ['no log and no good', { ...noEnds, bad: 'v4.6-rc5' }, 'good', /^good: required \(unless importLog/],
      ['a log whose start names no bad end', { ...noEnds, importLog: `git bisect start\ngit bisect bad ${X}\n` }, 'bad', /^bad: required: the imported log's start line names no bad end$/],
      ['a log whose start names no good end', { ...noEnds, importLog: `git bisect start ${B}\ngit bisect bad ${X}\n` }, 'good', /^good: required: the imported log's start line names no good end$/],
      ['a fix bisection without its ends', { ...noEnds, options: { terms: 'fix' }, importLog: gitLog }, 'good', /^good: a fix bisection names both its ends/],
      ['a log that is not one', { ...noEnds, importLog: 'rm -rf /\n' }, 'importLog', /^importLog: line 1: not a 'git bisect' command$/],
    ];
    for (const [name, payload, field, message] of refused) {
      it(`refuses ${name} with a 400 naming ${field}`, async () => {
        const res = await post(payload);
        expect(res.statusCode, res.body).toBe(400);
        expect(errorOf(res)).toMatchObject({ field, message: expect.stringMatching(message) });
      });
    }
  });

  it('answers 401 without a token, 403 for a reader, and 403 for command probes from a plain submitter', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/v1/bisections', payload: good })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('wrong'), payload: good })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-read'), payload: good })).statusCode).toBe(403);
    const plain = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-plain'), payload: good });
    expect(plain.statusCode).toBe(403);
    expect(plain.json()).toMatchObject({ error: { code: 'KBISECT_ERR_COMMAND_PROBE_DISABLED' } });
  });

  it('answers 413 for an oversized body, 415 for the wrong content type, 400 for broken JSON', async () => {
    const big = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-submit'), payload: { ...good, repo: 'x'.repeat(20_000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: { code: 'KBISECT_ERR_BODY_TOO_LARGE' } });
    const text = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: { ...auth('t-submit'), 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    const broken = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: { ...auth('t-submit'), 'content-type': 'application/json' }, payload: '{"repo":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: { code: 'KBISECT_ERR_INVALID_JSON' } });
  });
});

describe('reading and acting on bisections', () => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  for (const [method, path] of [['GET', ''], ['GET', '/log'], ['GET', '/report'], ['GET', '/events'], ['POST', '/cancel']] as const) {
    it(`${method} ${path || '/'} of an unknown id is a 404 JSON error`, async () => {
      const res = await app.inject({ method, url: `/api/v1/bisections/${unknown}${path}`, headers: auth('t-maintain'), ...(method === 'POST' ? { payload: {} } : {}) });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_NOT_FOUND' } });
    });
  }

  it('refuses a malformed id and a malformed verdict with a 400', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/bisections/not-a-uuid', headers: auth('t-read') })).statusCode).toBe(400);
    const res = await app.inject({ method: 'POST', url: `/api/v1/bisections/${unknown}/verdicts`, headers: auth('t-maintain'), payload: { commit: 'HEAD', verdict: 'good' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { field: string } }>().error.field).toContain('commit');
  });

  it('requires the maintain role for verdicts and cancel', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/v1/bisections/${unknown}/cancel`, headers: auth('t-submit'), payload: {} });
    expect(res.statusCode).toBe(403);
  });

  it('lists with a status filter and validates the query', async () => {
    const list = await app.inject({ method: 'GET', url: '/api/v1/bisections?status=queued&limit=5', headers: auth('t-read') });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: { status: string }[] }>().items.every((i) => i.status === 'queued')).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/api/v1/bisections?limit=0', headers: auth('t-read') })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/bisections?status=weird', headers: auth('t-read') })).statusCode).toBe(400);
  });

  it('pages through the list with a cursor, newest first, without repeats', async () => {
    for (let i = 0; i < 5; i++) await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-submit'), payload: good });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/bisections?limit=2${cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers: auth('t-read') });
      const body = res.json<{ items: { id: string }[]; next?: string }>();
      seen.push(...body.items.map((i) => i.id));
      if (body.next === undefined) break;
      cursor = body.next;
    }
    expect(seen.length).toBeGreaterThanOrEqual(6);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ ok: true });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('kbisect_queue_jobs{queue="orchestrate"');
    expect(metrics.body).toContain('kbisect_step_duration_seconds_count');
    const doc = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths)).toContain('/api/v1/bisections/{id}/events');
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });
});

describe('POST /api/v1/bisections/:id/verdicts against the start of the range', () => {
  // A bisection past initialization, on a linear history of 8 commits (0 good, 7 bad).
  const history = { parents: Array.from({ length: 8 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 7 };
  const { graph, good: goodSha, bad: badSha } = graphOf(history);
  let id: string;
  beforeAll(async () => {
    const store = new BisectionStore(redis, ns);
    id = await store.create({ ...good, options: { checkEndpoints: false } }, 'submitter', new Date('2026-11-24T00:00:00Z'));
    await store.saveGraph(id, graph);
    await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: '2026-11-24T00:00:01Z', bad: badSha, goods: [goodSha], commits: graph.commits.length, untestable: {} });
  });

  it.each([
    ['good on the bad end', () => badSha, 'good', /is the bad end of the range/],
    ['bad on the good end', () => goodSha, 'bad', /is the good end of the range/],
  ] as const)('answers 409 for %s, like any contradiction', async (_name, commit, verdict, message) => {
    const res = await app.inject({ method: 'POST', url: `/api/v1/bisections/${id}/verdicts`, headers: auth('t-maintain'), payload: { commit: commit(), verdict } });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VERDICT_REJECTED', message: expect.stringMatching(message), field: 'commit' } });
  });

  it('accepts a verdict that agrees with the start record', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/v1/bisections/${id}/verdicts`, headers: auth('t-maintain'), payload: { commit: badSha, verdict: 'bad' } });
    expect(res.statusCode, res.body).toBe(202);
  });
});
