import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BisectionStore, MachineHistory, MachineStore, TreeStore, TokenRegistry, connectRedis, hashToken, queueNames } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../../test/support/redis-namespace.js';
import { buildApp } from '../app.js';

const ns = uniqueNamespace('api-machines');
const redis = connectRedis(REDIS_URL);
const names = queueNames(ns);
const queues = { orchestrate: new Queue(names.orchestrate, { connection: redis }), build: new Queue(names.build, { connection: redis }), test: new Queue(names.test, { connection: redis }) };
const tokens = new TokenRegistry({
  tokens: [
    { name: 'reader', role: 'read', sha256: hashToken('t-read') },
    { name: 'operator', role: 'maintain', sha256: hashToken('t-maintain') },
    { name: 'labadmin', role: 'admin', sha256: hashToken('t-admin') },
  ],
});
const auth = (t: string) => ({ authorization: `Bearer ${t}` });
let app: FastifyInstance;

const machine = {
  id: 'lab-01', pool: 'iommu', mac: '52:54:00:AB:CD:01',
  bmc: { host: 'bmc-01.lab', user: 'admin', password: { env: 'LAB01_BMC_PASSWORD' } },
  console: { type: 'sol' }, pxe: { tftpRoot: '/srv/tftp' }, pciAddress: '0000:00:05.0',
};

beforeAll(async () => {
  app = await buildApp({
    store: new BisectionStore(redis, ns), machines: new MachineStore(redis, ns), trees: new TreeStore(redis, ns), redis, queues, tokens,
    allowCommandProbe: false, bodyLimit: 8192, now: () => new Date('2026-11-25T00:00:00Z'), enqueueOrchestrate: async () => undefined,
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

describe('/api/v1/machines', () => {
  it('registers a machine with defaults filled in, lists it, and replaces its spec on a second POST', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: machine });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: 'lab-01', mac: '52:54:00:ab:cd:01', arch: 'x86_64', bmc: { port: 623, password: { env: 'LAB01_BMC_PASSWORD' } }, pxe: { loader: 'ipxe' }, status: { state: 'ready', infraFailures: 0 } });
    const again = await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: { ...machine, cmdline: 'console=ttyS1,115200' } });
    expect(again.statusCode).toBe(200);
    const list = await app.inject({ method: 'GET', url: '/api/v1/machines?pool=iommu', headers: auth('t-read') });
    expect(list.json<{ items: { id: string; cmdline: string }[] }>().items).toEqual([expect.objectContaining({ id: 'lab-01', cmdline: 'console=ttyS1,115200' })]);
    const http = await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: { ...machine, pxe: { tftpRoot: '/srv/tftp', method: 'ipxe-http' } } });
    expect(http.json()).toMatchObject({ pxe: { loader: 'ipxe', method: 'ipxe-http' } });
  });

  it('refuses a literal password without storing or echoing it', async () => {
    const secret = 'hunter2-literal-pw';
    const res = await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: { ...machine, id: 'lab-02', mac: '52:54:00:ab:cd:02', bmc: { ...machine.bmc, password: secret } } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field: 'bmc.password' } });
    expect(res.body).not.toContain(secret);
    const one = await app.inject({ method: 'GET', url: '/api/v1/machines/lab-02', headers: auth('t-read') });
    expect(one.statusCode).toBe(404);
    const all = await app.inject({ method: 'GET', url: '/api/v1/machines', headers: auth('t-read') });
    expect(all.body).not.toContain(secret);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['a MAC with the wrong shape', { ...machine, mac: '52:54:00:ab:cd' }, 'mac'],
    ['an id that is an option', { ...machine, id: '-rf' }, 'id'],
    ['a BMC host with a space', { ...machine, bmc: { ...machine.bmc, host: 'bmc 01' } }, 'bmc.host'],
    ['an IPMI user longer than 16', { ...machine, bmc: { ...machine.bmc, user: 'a'.repeat(17) } }, 'bmc.user'],
    ['a relative TFTP root', { ...machine, pxe: { tftpRoot: 'srv/tftp' } }, 'pxe.tftpRoot'],
    ['a TFTP root climbing out', { ...machine, pxe: { tftpRoot: '/srv/../etc' } }, 'pxe.tftpRoot'],
    ['a command line with a newline', { ...machine, cmdline: 'console=ttyS0\nboot' }, 'cmdline'],
    ['a PCI address in the wrong form', { ...machine, pciAddress: '00:05.0' }, 'pciAddress'],
    ['an unknown boot method', { ...machine, pxe: { tftpRoot: '/srv/tftp', method: 'nfs' } }, 'pxe.method'],
    ['HTTP boot for a pxelinux machine', { ...machine, pxe: { tftpRoot: '/srv/tftp', loader: 'pxelinux', method: 'ipxe-http' } }, 'pxe.method'],
    ['an unknown field', { ...machine, ipmiPassword: 'x' }, 'ipmiPassword'],
  ];
  it.each(bad)('refuses %s, naming the field', async (_name, payload, field) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { field: string } }>().error.field).toBe(field);
  });

  it('refuses a second machine with the same MAC', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: { ...machine, id: 'lab-09' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { field: 'mac', message: expect.stringContaining('lab-01') } });
  });

  it('drains and undrains for operators; registering needs admin; reading needs a token', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-maintain'), payload: machine })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/machines' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/drain', headers: auth('t-read'), payload: {} })).statusCode).toBe(403);
    const drained = await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/drain', headers: auth('t-maintain'), payload: { reason: 'fan failure' } });
    expect(drained.json()).toMatchObject({ status: { state: 'drained', reason: 'fan failure' } });
    const undrained = await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/undrain', headers: auth('t-maintain') });
    expect(undrained.json()).toMatchObject({ status: { state: 'ready', infraFailures: 0 } });
    expect((await app.inject({ method: 'POST', url: '/api/v1/machines/nope/drain', headers: auth('t-maintain'), payload: {} })).json()).toMatchObject({ error: { code: 'KBISECT_ERR_NOT_FOUND' } });
  });

  it("lists each machine's recent tests, infrastructure failures and drains, newest first", async () => {
    const keys = new BisectionStore(redis, ns).keys;
    const history = new MachineHistory(redis, keys);
    const id = '0b5f6a8e-1c2d-4e3f-8a9b-0c1d2e3f4a5b';
    await history.record('lab-01', { kind: 'infra-failure', at: '2026-11-25T00:01:00.000Z', bisection: id, commit: 'a'.repeat(40), failure: 'no-boot', message: 'lab-01 never started a kernel' });
    await history.record('lab-01', { kind: 'test', at: '2026-11-25T00:02:00.000Z', bisection: id, commit: 'b'.repeat(40), verdict: 'bad', reason: 'x'.repeat(900), purpose: 'verify-culprit' });
    // Something that is not an entry (another writer's mistake) is left out, not sent.
    await redis.lpush(keys.machineHistory('lab-01'), '{"kind":"test"}');
    await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/drain', headers: auth('t-maintain'), payload: { reason: 'BMC firmware update' } });
    await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/undrain', headers: auth('t-maintain'), payload: { reason: 'firmware 2.1 in' } });
    const res = await app.inject({ method: 'GET', url: '/api/v1/machines', headers: auth('t-read') });
    expect(res.statusCode).toBe(200);
    const lab01 = res.json<{ items: { id: string; recent: { kind: string }[] }[] }>().items.find((m) => m.id === 'lab-01')!;
    // Newest first; the reason over 500 characters clipped.
    expect(lab01.recent).toEqual([
      { kind: 'service', at: '2026-11-25T00:00:00.000Z', action: 'undrain', by: 'operator', reason: 'firmware 2.1 in' },
      { kind: 'service', at: '2026-11-25T00:00:00.000Z', action: 'drain', by: 'operator', reason: 'BMC firmware update' },
      { kind: 'test', at: '2026-11-25T00:02:00.000Z', bisection: id, commit: 'b'.repeat(40), verdict: 'bad', reason: 'x'.repeat(500), purpose: 'verify-culprit' },
      { kind: 'infra-failure', at: '2026-11-25T00:01:00.000Z', bisection: id, commit: 'a'.repeat(40), failure: 'no-boot', message: 'lab-01 never started a kernel' },
      // The test before this one drained it (with a reason) and undrained it (without).
      { kind: 'service', at: '2026-11-25T00:00:00.000Z', action: 'undrain', by: 'operator' },
      { kind: 'service', at: '2026-11-25T00:00:00.000Z', action: 'drain', by: 'operator', reason: 'fan failure' },
    ]);
    const one = await app.inject({ method: 'GET', url: '/api/v1/machines/lab-01', headers: auth('t-read') });
    expect(one.json<{ recent: unknown[] }>().recent).toHaveLength(6);
    // A machine keeps its latest entries only.
    const small = new MachineHistory(redis, keys, 2);
    for (const verdict of ['good', 'bad', 'skip'] as const) await small.record('lab-09', { kind: 'test', at: '2026-11-25T00:03:00.000Z', bisection: id, commit: 'c'.repeat(40), verdict, reason: verdict });
    expect((await small.recent(['lab-09'])).get('lab-09')!.map((e) => (e.kind === 'test' ? e.verdict : e.kind))).toEqual(['skip', 'bad']);
  });

  const badReasons: [string, unknown, string][] = [
    ['a reason that is not text', { reason: { text: 'fan replaced' } }, 'reason'],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }, 'reason'],
    ['a misspelt field', { reasons: 'fan replaced' }, 'reasons'],
  ];
  it.each((['drain', 'undrain'] as const).flatMap((action) => badReasons.map(([name, payload, field]) => [action, name, payload, field] as const)))('%s refuses %s with a 400 naming the field, the machine untouched', async (action, _name, payload, field) => {
    const before = await app.inject({ method: 'GET', url: '/api/v1/machines/lab-01', headers: auth('t-read') });
    const res = await app.inject({ method: 'POST', url: `/api/v1/machines/lab-01/${action}`, headers: auth('t-maintain'), payload: payload as Record<string, unknown> });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field } });
    const after = await app.inject({ method: 'GET', url: '/api/v1/machines/lab-01', headers: auth('t-read') });
    expect(after.json()).toEqual(before.json());
  });

  it('undrains with a reason, or with none at all as before reasons were taken', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/drain', headers: auth('t-maintain'), payload: { reason: 'reseating DIMMs' } });
    const withReason = await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/undrain', headers: auth('t-maintain'), payload: { reason: 'DIMMs reseated, memtest clean' } });
    expect(withReason.json()).toMatchObject({ status: { state: 'ready' } });
    const recent = async () => (await app.inject({ method: 'GET', url: '/api/v1/machines/lab-01', headers: auth('t-read') })).json<{ recent: { kind: string; action?: string; by?: string; reason?: string }[] }>().recent;
    expect((await recent()).slice(0, 2)).toMatchObject([{ kind: 'service', action: 'undrain', by: 'operator', reason: 'DIMMs reseated, memtest clean' }, expect.objectContaining({ action: 'drain', reason: 'reseating DIMMs' })]);
    // No body and no content type (the CLI before --reason), and an empty JSON object: both still undrain.
    for (const payload of [undefined, {}]) {
      await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/drain', headers: auth('t-maintain'), payload: {} });
      const res = await app.inject({ method: 'POST', url: '/api/v1/machines/lab-01/undrain', headers: auth('t-maintain'), ...(payload ? { payload } : {}) });
      expect(res.json()).toMatchObject({ status: { state: 'ready' } });
      expect((await recent())[0]).toEqual({ kind: 'service', at: '2026-11-25T00:00:00.000Z', action: 'undrain', by: 'operator' });
    }
  });

  it('forgets a machine for admins', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: { ...machine, id: 'lab-03', mac: '52:54:00:ab:cd:03' } });
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/machines/lab-03', headers: auth('t-admin') })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/v1/machines/lab-03', headers: auth('t-read') })).statusCode).toBe(404);
  });
});

describe('POST /api/v1/bisections with a kernel probe', () => {
  const probe = { type: 'kernel', configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], pool: 'iommu', reproducer: { name: 'vfio-pin-check', args: ['--mode=fork', '--seconds=10'] } };
  const submit = (p: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/bisections', headers: auth('t-admin'), payload: { repo: '/srv/linux', good: ['v4.4'], bad: 'v4.6-rc5', probe: p } });

  it('queues a probe whose fragments, reproducer and pool exist', async () => {
    await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: machine });
    const res = await submit(probe);
    expect(res.statusCode).toBe(201);
  });

  it.each([
    ['an unknown config fragment', { ...probe, configFragments: ['qemu-x86_64', 'no-such-fragment'] }, 'probe.configFragments', /no no-such-fragment.config/],
    ['a fragment name that is a path', { ...probe, configFragments: ['../etc/passwd'] }, 'probe.configFragments.0', /Expected string to match/],
    ['an unknown reproducer', { ...probe, reproducer: { name: 'syz-repro' } }, 'probe.reproducer.name', /unknown reproducer 'syz-repro'/],
    ['a reproducer argument it does not take', { ...probe, reproducer: { name: 'vfio-pin-check', args: ['--seconds=5;reboot'] } }, 'probe.reproducer.args', /not one of/],
    ['a pool with no machines', { ...probe, pool: 'gpu-lab' }, 'probe.pool', /pool 'gpu-lab' has no machines/],
  ])('refuses %s, naming the field', async (_name, p, field, message) => {
    const res = await submit(p);
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { field: string; message: string } }>().error).toMatchObject({ field, message: expect.stringMatching(message) });
  });
});

describe('machine fields that would reach a shell or an option parser', () => {
  const refused: [string, Record<string, unknown>, string][] = [
    ["a '$' in the kernel command line", { ...machine, id: 'lab-09', mac: '52:54:00:ab:cd:09', cmdline: 'console=ttyS0 init=$(reboot)' }, 'cmdline'],
    ["a BMC user starting with '-'", { ...machine, id: 'lab-09', mac: '52:54:00:ab:cd:09', bmc: { ...machine.bmc, user: '-Ilanplus' } }, 'bmc.user'],
  ];
  for (const [name, body, field] of refused) {
    it(`refuses ${name} at registration with a 400 naming ${field}`, async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/machines', headers: auth('t-admin'), payload: body });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'KBISECT_ERR_VALIDATION', field } });
      expect((await app.inject({ method: 'GET', url: '/api/v1/machines/lab-09', headers: auth('t-admin') })).statusCode).toBe(404);
    });
  }
});
