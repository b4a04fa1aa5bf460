/**
 * Event streams over real HTTP on real Redis: many streams of one bisection
 * share one blocking reader (counted with CLIENT LIST), all of them get every
 * event in order, and the per-token and total caps answer 429.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BisectionStore, DEFAULT_TOKEN_LIMITS, MachineStore, TreeStore, TokenRegistry, connectRedis, hashToken, queueNames, type BisectionRequest } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { buildApp } from './app.js';

const ns = uniqueNamespace('sse');
const readerName = `${ns}-reader`;
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const store = new BisectionStore(redis, ns);
const STREAMS = 60;
const tokens = new TokenRegistry({
  tokens: [
    { name: 'watcher', role: 'read', sha256: hashToken('t-watch'), limits: { sseStreams: STREAMS } },
    { name: 'frugal', role: 'read', sha256: hashToken('t-frugal'), limits: { sseStreams: 2 } },
    { name: 'extra', role: 'read', sha256: hashToken('t-extra') },
  ],
}, DEFAULT_TOKEN_LIMITS);
const request: BisectionRequest = { repo: '/srv/linux', good: ['v4.4'], bad: 'v4.6', probe: { type: 'command', command: 'true' } };
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  app = await buildApp({
    store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues, tokens, sseReaderName: readerName, sseTotalStreams: STREAMS + 2, sseHeartbeatMs: 500,
    allowCommandProbe: true, bodyLimit: 8192, now: () => new Date(), enqueueOrchestrate: async () => undefined,
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app.close();
  await Promise.all([queues.orchestrate.close(), queues.build.close(), queues.test.close()]);
  redis.disconnect();
  await dropNamespace(ns);
});

interface OpenStream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly events: string[];
  readonly ended: Promise<void>;
  close(): void;
}

function open(id: string, token: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/api/v1/bisections/${id}/events`, { headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
      const events: string[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
          const event = /^event: (.*)$/m.exec(buffer.slice(0, at))?.[1];
          if (event) events.push(event);
          buffer = buffer.slice(at + 2);
        }
      });
      const ended = new Promise<void>((done) => res.on('close', () => done()));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, events, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function readersNamed(name: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('shared stream readers', () => {
  it(`${STREAMS} streams of one bisection use one Redis reader and all receive every event in order`, async () => {
    const id = await store.create(request, 'watcher', new Date());
    const streams = await Promise.all(Array.from({ length: STREAMS }, () => open(id, 't-watch')));
    expect(streams.every((s) => s.status === 200)).toBe(true);
    expect(streams[0]!.headers['x-content-type-options']).toBe('nosniff');
    await until(() => streams.every((s) => s.events.length === 1), 'the backlog on every stream');
    expect(await readersNamed(readerName)).toBe(1);
    const at = new Date().toISOString();
    await store.log.append(id, { type: 'step-progress', at, commit: 'c'.repeat(40), phase: 'build', message: 'building' });
    await store.console.append(id, { type: 'step-progress', at, commit: 'c'.repeat(40), phase: 'console', message: 'console', lines: ['[    0.000000] Linux version'] });
    await store.log.append(id, { type: 'finished', at, status: 'failed', error: 'stopped by the test' });
    await Promise.all(streams.map((s) => s.ended));
    for (const s of streams) expect(s.events).toEqual(['created', 'step-progress', 'step-progress', 'finished']);
    await until(async () => (await readersNamed(readerName)) === 0, 'the reader to close after the last stream');
  });

  it('a stream opened while the reader waits gets the entries it missed, once', async () => {
    const id = await store.create(request, 'watcher', new Date());
    const first = await open(id, 't-watch');
    await until(() => first.events.length === 1, 'the first backlog');
    const at = new Date().toISOString();
    await store.log.append(id, { type: 'step-progress', at, commit: 'c'.repeat(40), phase: 'build', message: 'one' });
    const second = await open(id, 't-watch');
    await store.log.append(id, { type: 'finished', at, status: 'failed', error: 'done' });
    await Promise.all([first.ended, second.ended]);
    expect(first.events).toEqual(['created', 'step-progress', 'finished']);
    expect(second.events).toEqual(['created', 'step-progress', 'finished']);
  });
});

describe('stream caps', () => {
  it("answers a token's stream over its cap with a 429, the documented body and Retry-After; closing one frees a slot", async () => {
    const id = await store.create(request, 'frugal', new Date());
    const held = [await open(id, 't-frugal'), await open(id, 't-frugal')];
    const refused = await fetch(`${base}/api/v1/bisections/${id}/events`, { headers: { authorization: 'Bearer t-frugal' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({ error: { code: 'KBISECT_ERR_TOO_MANY_STREAMS', message: "token 'frugal' has 2 event streams open, its limit; close one first" } });
    held[0]!.close();
    await held[0]!.ended;
    let again: OpenStream | undefined;
    await until(async () => {
      again?.close();
      again = await open(id, 't-frugal');
      return again.status === 200;
    }, 'a freed slot');
    again!.close();
    held[1]!.close();
  });

  it('caps streams in total across tokens', async () => {
    const id = await store.create(request, 'watcher', new Date());
    const held = await Promise.all(Array.from({ length: STREAMS }, () => open(id, 't-watch')));
    const others = [await open(id, 't-frugal'), await open(id, 't-frugal')];
    expect(others.map((s) => s.status)).toEqual([200, 200]);
    const refused = await fetch(`${base}/api/v1/bisections/${id}/events`, { headers: { authorization: 'Bearer t-extra' } });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: { code: 'KBISECT_ERR_TOO_MANY_STREAMS', message: `this server has ${STREAMS + 2} event streams open, its limit; try again later` } });
    held[0]!.close();
    await held[0]!.ended;
    await until(async () => {
      const s = await open(id, 't-extra');
      s.close();
      return s.status === 200;
    }, 'a freed slot');
    for (const s of [...held, ...others]) s.close();
  });
});
