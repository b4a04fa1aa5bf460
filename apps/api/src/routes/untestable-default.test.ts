import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BisectionStore, MachineStore, TreeStore, TokenRegistry, connectRedis, hashToken, queueNames } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../../test/support/redis-namespace.js';
import { buildApp } from '../app.js';

const ns = uniqueNamespace('api-untestable');
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const tokens = new TokenRegistry({ tokens: [{ name: 'admin', role: 'admin', sha256: hashToken('t-admin'), commandProbe: true }] });
const auth = { authorization: 'Bearer t-admin' };
const store = new BisectionStore(redis, ns);
let app: FastifyInstance;

const kernelProbe = {
  type: 'kernel', configFragments: ['qemu-x86_64'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], pool: 'virtual',
  reproducer: { name: 'boot' },
};
const range = { repo: '/srv/linux', good: ['v4.4'], bad: 'v4.6-rc5' };

beforeAll(async () => {
  app = await buildApp({
    store, machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues, tokens,
    allowCommandProbe: true, bodyLimit: 8192, now: () => new Date('2026-11-30T00:00:00Z'), enqueueOrchestrate: async () => undefined,
  });
  const machine = {
    id: 'vm-01', pool: 'virtual', mac: '52:54:00:AB:CD:01',
    bmc: { host: '127.0.0.1', user: 'admin', password: { env: 'VM01_BMC_PASSWORD' } },
    console: { type: 'sol' }, pxe: { tftpRoot: '/srv/tftp' }, pciAddress: '0000:00:05.0',
  };
  const res = await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth, payload: machine });
  expect(res.statusCode).toBe(201);
  // Submitted by its exact repo: a registered tree.
  expect((await app.inject({ method: 'POST', url: '/api/v1/trees', headers: auth, payload: { name: 'linux', repo: '/srv/linux' } })).statusCode).toBe(201);
});
afterAll(async () => {
  await app.close();
  await queues.orchestrate.close();
  await queues.build.close();
  await queues.test.close();
  redis.disconnect();
  await dropNamespace(ns);
});

async function storedProbe(id: string): Promise<Record<string, unknown>> {
  const created = (await store.load(id)).fold.created;
  if (created?.type !== 'created') throw new Error('no created event');
  return created.request.probe as Record<string, unknown>;
}

describe("untestable: 'narrow' in requests", () => {
  it('is the stored default for a kernel probe, so replays never change', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth, payload: { ...range, probe: kernelProbe } });
    expect(res.statusCode, res.body).toBe(201);
    expect(await storedProbe(res.json<{ id: string }>().id)).toMatchObject({ untestable: 'narrow' });
  });

  it("keeps a kernel probe's explicit choice", async () => {
    for (const mode of ['skip', 'force'] as const) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth, payload: { ...range, probe: { ...kernelProbe, untestable: mode } } });
      expect(res.statusCode, res.body).toBe(201);
      expect(await storedProbe(res.json<{ id: string }>().id)).toMatchObject({ untestable: mode });
    }
  });

  it('leaves a command probe as submitted (no default)', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth, payload: { ...range, probe: { type: 'command', command: 'make test' } } });
    expect(res.statusCode, res.body).toBe(201);
    expect(await storedProbe(res.json<{ id: string }>().id)).not.toHaveProperty('untestable');
  });

  it('refuses a command probe that narrows without symbols to force, naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth, payload: { ...range, probe: { type: 'command', command: 'make test', untestable: 'narrow' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field: 'probe.untestable' } });
    expect(res.json<{ error: { message: string } }>().error.message).toMatch(/needs options\.requireConfig/);
  });

  it('refuses an unknown mode, naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth, payload: { ...range, probe: { ...kernelProbe, untestable: 'maybe' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { field?: string } }>().error.field).toMatch(/^probe\.untestable/);
  });
});
