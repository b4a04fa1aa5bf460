import { describe, expect, it } from 'vitest';
import { LabInfraError } from './lab-errors.js';
import type { Machine, MachineSpec } from './machine.js';
import type { MachineRegistry, NoMachine } from './machine-registry.js';
import { runOnPool, type PoolEvent } from './run-on-pool.js';

/** An in-memory registry with the Redis store's rules, for the runner's logic. */
function registry(ids: string[], state: Record<string, 'ready' | 'drained' | 'quarantined'> = {}) {
  const failures = new Map<string, number>();
  const leases = new Map<string, string>();
  const spec = (id: string): MachineSpec => ({ id, pool: 'p', arch: 'x86_64', mac: '52:54:00:00:00:01', bmc: { host: 'h', port: 623, user: 'u', password: { env: 'X' } }, console: { type: 'sol' }, pxe: { tftpRoot: '/t', loader: 'ipxe' }, cmdline: '' });
  const r: MachineRegistry & { failures: Map<string, number>; leases: Map<string, string> } = {
    failures,
    leases,
    async lease(_pool, holder, _ttl, avoid = []): Promise<{ machine: MachineSpec } | { none: NoMachine; detail: string }> {
      if (ids.length === 0) return { none: 'empty-pool', detail: '' };
      const ready = ids.filter((id) => (state[id] ?? 'ready') === 'ready' && !leases.has(id));
      const pick = ready.find((id) => !avoid.includes(id)) ?? ready[0];
      if (pick === undefined) return ids.some((id) => (state[id] ?? 'ready') === 'ready') ? { none: 'all-busy', detail: 'busy' } : { none: 'none-ready', detail: ids.map((id) => `${id} ${state[id]}`).join(', ') };
      leases.set(pick, holder);
      return { machine: spec(pick) };
    },
    async renew() { return true; },
    async release(id, holder) { if (leases.get(id) === holder) leases.delete(id); },
    async recordInfraFailure(id, _reason, after) {
      const n = (failures.get(id) ?? 0) + 1;
      failures.set(id, n);
      const quarantined = n >= after && (state[id] ?? 'ready') === 'ready';
      if (quarantined) state[id] = 'quarantined';
      return { infraFailures: n, quarantined };
    },
    async recordSuccess(id) { failures.set(id, 0); },
    async get(): Promise<Machine | undefined> { return undefined; },
  };
  return r;
}

describe('running a test on a pool', () => {
  it('returns the first machine\'s result and releases it', async () => {
    const reg = registry(['m1', 'm2']);
    const run = await runOnPool(reg, 'p', 'job', async (m) => `ran on ${m.id}`);
    expect(run).toEqual({ result: 'ran on m1', machineId: 'm1', attempts: [{ machineId: 'm1' }] });
    expect(reg.leases.size).toBe(0);
  });

  it('moves to another machine after an infrastructure failure and quarantines at the threshold', async () => {
    const reg = registry(['m1', 'm2']);
    const events: PoolEvent[] = [];
    const test = async (m: MachineSpec) => {
      if (m.id === 'm1') throw new LabInfraError('bmc-unreachable', 'no answer');
      return 'ok';
    };
    const run = await runOnPool(reg, 'p', 'job', test, { quarantineAfter: 1, onEvent: (e) => events.push(e) });
    expect(run.machineId).toBe('m2');
    expect(events.map((e) => e.type)).toEqual(['leased', 'infra-failure', 'quarantined', 'leased']);
    expect(reg.failures.get('m2')).toBe(0);
  });

  it('does not retry verdicts or unexpected errors', async () => {
    const reg = registry(['m1', 'm2']);
    let calls = 0;
    await expect(runOnPool(reg, 'p', 'job', async () => {
      calls++;
      throw new TypeError('bug');
    })).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
    expect(reg.leases.size).toBe(0);
  });

  it('gives up after maxAttempts, naming every attempt', async () => {
    const reg = registry(['m1', 'm2']);
    await expect(runOnPool(reg, 'p', 'job', async (m) => {
      throw new LabInfraError('no-boot', `${m.id} did not boot`);
    }, { maxAttempts: 3, quarantineAfter: 10 })).rejects.toThrow(/3 machine attempt\(s\).*m1: m1 did not boot \| m2: m2 did not boot \| m1: m1 did not boot/);
  });

  it('an empty pool or one with nothing ready waits, saying why, and gives up at the limit', async () => {
    const events: PoolEvent[] = [];
    await expect(runOnPool(registry([]), 'gpu', 'job', async () => 1, { waitForMachineMs: 300, onEvent: (e) => events.push(e) })).rejects.toThrow(/machine pool 'gpu' has no machines; waited/);
    expect(events).toEqual([{ type: 'waiting', reason: "machine pool 'gpu' has no machines" }]);
    await expect(runOnPool(registry(['m1'], { m1: 'drained' }), 'p', 'job', async () => 1, { waitForMachineMs: 300 })).rejects.toThrow(/no machine of pool 'p' is ready \(m1 drained\)/);
  });

  it('continues once an operator undrains a machine', async () => {
    const state: Record<string, 'ready' | 'drained' | 'quarantined'> = { m1: 'quarantined' };
    const reg = registry(['m1'], state);
    setTimeout(() => { state.m1 = 'ready'; }, 400);
    expect((await runOnPool(reg, 'p', 'job', async (m) => m.id, { waitForMachineMs: 10_000 })).result).toBe('m1');
  });

  it('waits for a busy machine, up to a limit', async () => {
    const reg = registry(['m1']);
    reg.leases.set('m1', 'other');
    setTimeout(() => reg.leases.delete('m1'), 300);
    expect((await runOnPool(reg, 'p', 'job', async () => 'late', { waitForMachineMs: 5000 })).result).toBe('late');
    reg.leases.set('m1', 'other');
    await expect(runOnPool(reg, 'p', 'job', async () => 'never', { waitForMachineMs: 300 })).rejects.toThrow(/every machine of pool 'p' is busy .*; waited 0 s/);
  });
});
