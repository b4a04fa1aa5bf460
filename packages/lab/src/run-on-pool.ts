import { LabConfigError, LabInfraError } from './lab-errors.js';
import type { MachineSpec } from './machine.js';
import type { MachineRegistry } from './machine-registry.js';

export interface PoolRunOptions {
  /** Infrastructure failures in a row that quarantine a machine. @defaultValue 3 */
  readonly quarantineAfter?: number;
  /** Machines tried for one test before giving up. @defaultValue 3 */
  readonly maxAttempts?: number;
  /** How long to wait for a machine when all are busy, drained or quarantined, or the pool is empty. @defaultValue 600000 */
  readonly waitForMachineMs?: number;
  /** @defaultValue 120000 */
  readonly leaseTtlMs?: number;
  readonly onEvent?: (event: PoolEvent) => void;
}

export type PoolEvent =
  | { readonly type: 'leased'; readonly machineId: string; readonly attempt: number }
  | { readonly type: 'infra-failure'; readonly machineId: string; readonly kind: string; readonly message: string; readonly infraFailures: number }
  | { readonly type: 'quarantined'; readonly machineId: string; readonly reason: string }
  | { readonly type: 'waiting'; readonly reason: string };

export interface PoolAttempt {
  readonly machineId: string;
  readonly failure?: { readonly kind: string; readonly message: string };
}

export interface PoolRun<R> {
  readonly result: R;
  readonly machineId: string;
  readonly attempts: readonly PoolAttempt[];
}

/**
 * Runs one test on some machine of a pool: lease, run, release. An
 * infrastructure failure counts against the machine (quarantined after N in
 * a row) and the test moves to another machine, preferring ones it has not
 * tried yet. Anything else — a verdict, a config error — ends the run.
 */
export async function runOnPool<R>(registry: MachineRegistry, pool: string, holder: string, test: (machine: MachineSpec) => Promise<R>, opts: PoolRunOptions = {}): Promise<PoolRun<R>> {
  const maxAttempts = opts.maxAttempts ?? 3;
  const ttl = opts.leaseTtlMs ?? 120_000;
  const attempts: PoolAttempt[] = [];
  const tried: string[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const machine = await leaseWaiting(registry, pool, holder, ttl, tried, opts.waitForMachineMs ?? 600_000, opts.onEvent);
    opts.onEvent?.({ type: 'leased', machineId: machine.id, attempt });
    // Keep the lease alive for tests longer than its TTL.
    const renew = setInterval(() => void registry.renew(machine.id, holder, ttl).catch(() => undefined), Math.max(1000, ttl / 3));
    try {
      const result = await test(machine);
      await registry.recordSuccess(machine.id);
      attempts.push({ machineId: machine.id });
      return { result, machineId: machine.id, attempts };
    } catch (err) {
      if (!(err instanceof LabInfraError)) throw err;
      attempts.push({ machineId: machine.id, failure: { kind: err.kind, message: err.message } });
      if (!tried.includes(machine.id)) tried.push(machine.id);
      const counted = await registry.recordInfraFailure(machine.id, `${err.kind}: ${err.message}`, opts.quarantineAfter ?? 3);
      opts.onEvent?.({ type: 'infra-failure', machineId: machine.id, kind: err.kind, message: err.message, infraFailures: counted.infraFailures });
      if (counted.quarantined) opts.onEvent?.({ type: 'quarantined', machineId: machine.id, reason: `${counted.infraFailures} infrastructure failures in a row; last: ${err.message}` });
      if (attempt === maxAttempts) {
        throw new LabInfraError(err.kind, `test failed on ${attempts.length} machine attempt(s) in pool '${pool}': ${attempts.map((a) => `${a.machineId}: ${a.failure?.message ?? 'ok'}`).join(' | ')}`, machine.id);
      }
    } finally {
      clearInterval(renew);
      await registry.release(machine.id, holder);
    }
  }
  throw new LabConfigError('maxAttempts must be at least 1', 'maxAttempts');
}

async function leaseWaiting(registry: MachineRegistry, pool: string, holder: string, ttl: number, avoid: readonly string[], waitMs: number, onEvent?: (e: PoolEvent) => void): Promise<MachineSpec> {
  const until = Date.now() + waitMs;
  let announced: string | undefined;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    const got = await registry.lease(pool, holder, ttl, avoid);
    if ('machine' in got) return got.machine;
    // Busy machines free up; drained, quarantined or removed ones come back when
    // an operator fixes them — the step waits for that instead of failing.
    const why = got.none === 'empty-pool' ? `machine pool '${pool}' has no machines` : got.none === 'none-ready' ? `no machine of pool '${pool}' is ready (${got.detail})` : `every machine of pool '${pool}' is busy (${got.detail})`;
    if (Date.now() + delay > until) throw new LabInfraError('no-machine', `${why}; waited ${Math.round(waitMs / 1000)} s`);
    if (announced !== got.none) {
      announced = got.none;
      onEvent?.({ type: 'waiting', reason: why });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
