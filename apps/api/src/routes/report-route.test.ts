import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BisectionStore, MachineStore, TreeStore, TokenRegistry, connectRedis, hashToken, queueNames, REGRESSIONS_LIST, type LogEvent } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../../test/support/redis-namespace.js';
import { buildApp } from '../app.js';

const ns = uniqueNamespace('api-report');
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const store = new BisectionStore(redis, ns);
const auth = { authorization: 'Bearer t-read' };
const [G, B, C, D] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(40)) as [string, string, string, string];
const emails = (a: AddressObject | AddressObject[] | undefined): string[] => (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? ''));
let app: FastifyInstance;
let id: string;
let queued: string;

beforeAll(async () => {
  app = await buildApp({
    store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues,
    tokens: new TokenRegistry({ tokens: [{ name: 'reader', role: 'read', sha256: hashToken('t-read') }] }),
    allowCommandProbe: true, bodyLimit: 8192, now: () => new Date('2026-11-30T00:00:00Z'), enqueueOrchestrate: async () => undefined,
    publicUrl: 'https://kbisect.example.org', mailFrom: 'kbisect <kbisect@example.org>',
  });
  // A finished bisection as the orchestrator leaves it: graph, verdicts, the end, and the report facts.
  id = await store.create({ repo: '/srv/linux', good: ['v6.1'], bad: 'v6.2', probe: { type: 'command', command: './repro.sh --fork' } }, 'alice', new Date('2026-11-30T08:00:00Z'));
  await store.saveGraph(id, { commits: [D, C, B], parents: [[1], [2], [-1]], subjects: ['later', 'mm: the culprit', 'earlier'] });
  const events: LogEvent[] = [
    { type: 'initialized', at: '2026-11-30T08:00:01Z', bad: D, goods: [G], commits: 3, untestable: {} },
    { type: 'verdict', at: '2026-11-30T08:01:00Z', commit: C, verdict: 'bad', reason: 'exit 1', source: 'probe', evidence: 'test-c' },
    { type: 'verdict', at: '2026-11-30T08:02:00Z', commit: B, verdict: 'good', reason: 'exit 0', source: 'probe' },
    { type: 'report-facts', at: '2026-11-30T08:02:01Z', recipients: { source: 'get_maintainer', commits: [C], addresses: ['Andrew Morton <akpm@linux-foundation.org>', 'linux-mm@kvack.org'] } },
    { type: 'finished', at: '2026-11-30T08:02:02Z', status: 'found', culprit: C, commits: [{ sha: C, subject: 'mm: the culprit', authorName: 'Dev', authorEmail: 'dev@example.org', authorDate: '2026-01-01T00:00:00Z' }] },
  ];
  for (const e of events) await store.log.append(id, e);
  queued = await store.create({ repo: '/srv/linux', good: ['v6.1'], bad: 'v6.2', probe: { type: 'command', command: 'true' } }, 'alice', new Date('2026-11-30T08:00:00Z'));
});

afterAll(async () => {
  await app.close();
  await queues.orchestrate.close();
  await queues.build.close();
  await queues.test.close();
  redis.disconnect();
  await dropNamespace(ns);
});

describe('GET /api/v1/bisections/:id/report?format=mbox', () => {
  it('answers the whole mail: recipients recorded by the worker plus the regressions list and the user’s, links on the public URL', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/report?format=mbox&to=Lee%20%3Clee%40example.org%3E&cc=x%40example.org&cc=y%40example.org&inReplyTo=%3Corig%40example.org%3E`, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/mbox; charset=utf-8');
    expect(res.body).toMatch(/^From kbisect@example\.org Mon Nov 30 08:02:02 2026\n/);
    const mail = await simpleParser(res.body.slice(res.body.indexOf('\n') + 1));
    expect(mail.subject).toBe('[kbisect] regression bisected to: mm: the culprit');
    expect(emails(mail.to)).toEqual(['akpm@linux-foundation.org', 'lee@example.org']);
    expect(emails(mail.cc)).toEqual(['linux-mm@kvack.org', REGRESSIONS_LIST, 'x@example.org', 'y@example.org']);
    expect(mail.inReplyTo).toBe('<orig@example.org>');
    expect(mail.text).toContain(`Link: https://kbisect.example.org/api/v1/bisections/${id}\n`);
    expect(mail.text).toContain(`Fixes: ${C.slice(0, 12)} ("mm: the culprit")`);
    expect(mail.text).toContain('command (git bisect run protocol): ./repro.sh --fork');
  });

  it('names the field of a bad address, refuses mail options without format=mbox, and waits for the end', async () => {
    const bad = await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/report?format=mbox&cc=ok%40example.org&cc=nobody`, headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field: 'cc' } });
    expect(bad.json<{ error: { message: string } }>().error.message).toContain("cc[1]: 'nobody' is not a mail address");
    const text = await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/report?to=a%40example.org`, headers: auth });
    expect(text.statusCode).toBe(400);
    const early = await app.inject({ method: 'GET', url: `/api/v1/bisections/${queued}/report?format=mbox`, headers: auth });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: 'KBISECT_ERR_NOT_READY' } });
    const plain = await app.inject({ method: 'GET', url: `/api/v1/bisections/${id}/report`, headers: auth });
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toContain(`The first bad commit is ${C}`);
  });
});
