import type { MachineSpec } from '@kbisect/lab';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { MachineBusyError, MachineNotFoundError, MachineStore } from './machine-store.js';
import { connectRedis } from './redis-connection.js';

const redis = connectRedis(REDIS_URL);
const namespaces: string[] = [];
const fresh = (): MachineStore => {
  const ns = uniqueNamespace('machines');
  namespaces.push(ns);
  return new MachineStore(redis, ns);
};
afterAll(async () => {
  for (const ns of namespaces) await dropNamespace(ns);
  redis.disconnect();
});

const spec = (id: string, pool = 'p1', n = 1): MachineSpec => ({
  id, pool, arch: 'x86_64', mac: `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`,
  bmc: { host: '127.0.0.1', port: 623, user: 'admin', password: { env: 'BMC_PW' } },
  console: { type: 'sol' }, pxe: { tftpRoot: '/srv/tftp', loader: 'ipxe' }, cmdline: 'console=ttyS0',
});

describe('the machine store on real Redis', () => {
  it('registers, lists by pool, and keeps the state when a spec is replaced', async () => {
    const store = fresh();
    expect((await store.register(spec('a'))).created).toBe(true);
    await store.register(spec('b', 'p2', 2));
    await store.drain('a', 'flaky NIC');
    const again = await store.register({ ...spec('a'), cmdline: 'console=ttyS1' });
    expect(again).toMatchObject({ created: false, machine: { cmdline: 'console=ttyS1', status: { state: 'drained', reason: 'flaky NIC' } } });
    expect((await store.list('p1')).map((m) => m.id)).toEqual(['a']);
    expect((await store.list()).map((m) => m.id)).toEqual(['a', 'b']);
    await store.register(spec('a', 'p2'));
    expect((await store.list('p1')).map((m) => m.id)).toEqual([]);
  });

  it("counts a pool's ready machines (leased ones included, drained and quarantined ones not): a round's k", async () => {
    const store = fresh();
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) await store.register(spec(id, 'p1', i + 1));
    await store.register(spec('e', 'p2', 9));
    expect(await store.readyCount('p1')).toBe(4);
    await store.drain('b', 'maintenance');
    await store.recordInfraFailure('c', 'no DHCP', 1);
    const lease = await store.lease('p1', 'holder', 10_000);
    expect('machine' in lease).toBe(true);
    expect(await store.readyCount('p1')).toBe(2);
    await store.undrain('b');
    expect(await store.readyCount('p1')).toBe(3);
    expect(await store.readyCount('empty')).toBe(0);
  });

  it('leases each machine to one holder at a time, even when many ask at once', async () => {
    const store = fresh();
    for (let i = 1; i <= 3; i++) await store.register(spec(`m${i}`, 'p1', i));
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => store.lease('p1', `job-${i}`, 60_000)));
    const leased = got.flatMap((g) => ('machine' in g ? [g.machine.id] : []));
    expect(leased.sort()).toEqual(['m1', 'm2', 'm3']);
    expect(got.filter((g) => 'none' in g && g.none === 'all-busy')).toHaveLength(7);
    const holder = (await store.get('m1'))!.status.leasedBy!;
    expect(await store.renew('m1', 'someone-else', 1000)).toBe(false);
    await store.release('m1', 'someone-else');
    expect((await store.get('m1'))!.status.leasedBy).toBe(holder);
    await store.release('m1', holder);
    expect((await store.get('m1'))!.status.leasedBy).toBeUndefined();
  });

  it('prefers machines the test has not tried, and falls back to them', async () => {
    const store = fresh();
    await store.register(spec('m1', 'p1', 1));
    await store.register(spec('m2', 'p1', 2));
    const first = await store.lease('p1', 'j', 60_000, ['m1']);
    expect('machine' in first && first.machine.id).toBe('m2');
    await store.release('m2', 'j');
    await store.drain('m2', 'x');
    const second = await store.lease('p1', 'j', 60_000, ['m1']);
    expect('machine' in second && second.machine.id).toBe('m1');
  });

  it('says why nothing can be leased', async () => {
    const store = fresh();
    expect(await store.lease('nothing-here', 'j', 1000)).toEqual({ none: 'empty-pool', detail: '' });
    await store.register(spec('m1'));
    await store.drain('m1', 'maintenance');
    expect(await store.lease('p1', 'j', 1000)).toEqual({ none: 'none-ready', detail: 'm1 drained' });
  });

  it('quarantines after N infrastructure failures in a row; a success resets the count; undrain ends it', async () => {
    const store = fresh();
    await store.register(spec('m1'));
    expect(await store.recordInfraFailure('m1', 'bmc-auth-refused: no', 3)).toEqual({ infraFailures: 1, quarantined: false });
    await store.recordSuccess('m1');
    expect(await store.recordInfraFailure('m1', 'x', 2)).toEqual({ infraFailures: 1, quarantined: false });
    expect(await store.recordInfraFailure('m1', 'bmc-auth-refused: the BMC refused', 2)).toEqual({ infraFailures: 2, quarantined: true });
    const m = (await store.get('m1'))!;
    expect(m.status).toMatchObject({ state: 'quarantined', infraFailures: 2, lastInfraFailure: 'bmc-auth-refused: the BMC refused' });
    expect(m.status.reason).toMatch(/2 infrastructure failures in a row/);
    expect(await store.lease('p1', 'j', 1000)).toMatchObject({ none: 'none-ready', detail: 'm1 quarantined' });
    expect((await store.undrain('m1')).status).toMatchObject({ state: 'ready', infraFailures: 0 });
    expect((await store.undrain('m1')).status.reason).toBeUndefined();
  });

  it('refuses to forget a machine under test, and names unknown ones', async () => {
    const store = fresh();
    await store.register(spec('m1'));
    await store.lease('p1', 'job-7', 60_000);
    await expect(store.remove('m1')).rejects.toBeInstanceOf(MachineBusyError);
    await store.release('m1', 'job-7');
    await store.remove('m1');
    expect(await store.get('m1')).toBeUndefined();
    await expect(store.drain('m1', 'x')).rejects.toBeInstanceOf(MachineNotFoundError);
    expect(await store.recordInfraFailure('m1', 'x', 1)).toEqual({ infraFailures: 0, quarantined: false });
  });
});
