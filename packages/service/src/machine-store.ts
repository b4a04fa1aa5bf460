import type { Machine, MachineRegistry, MachineSpec, MachineStatus, NoMachine } from '@kbisect/lab';
import type { Redis } from 'ioredis';

/**
 * Machines in Redis, shared by the API (lab operators) and every worker:
 * `<ns>:machines` (id → spec JSON), `<ns>:pool:<pool>` (member ids),
 * `<ns>:machine:<id>:status` (state, counters) and `<ns>:machine:<id>:lease`
 * (the holder, with a TTL). Leasing and failure counting are Lua scripts, so
 * two workers never take one machine and a count is never lost.
 */
const LEASE = `
local ids = redis.call('SMEMBERS', KEYS[1])
if #ids == 0 then return {'none', 'empty-pool', ''} end
table.sort(ids)
local prefix, holder, ttl = ARGV[1], ARGV[2], ARGV[3]
local avoid = {}
for i = 4, #ARGV do avoid[ARGV[i]] = true end
for pass = 1, 2 do
  for _, id in ipairs(ids) do
    local state = redis.call('HGET', prefix .. id .. ':status', 'state') or 'ready'
    if state == 'ready' and (pass == 2 or not avoid[id]) then
      if redis.call('SET', prefix .. id .. ':lease', holder, 'NX', 'PX', ttl) then return {'machine', id} end
    end
  end
end
local busy, notes = 0, {}
for _, id in ipairs(ids) do
  local state = redis.call('HGET', prefix .. id .. ':status', 'state') or 'ready'
  if state == 'ready' then busy = busy + 1; table.insert(notes, id .. ' busy') else table.insert(notes, id .. ' ' .. state) end
end
if busy > 0 then return {'none', 'all-busy', table.concat(notes, ', ')} end
return {'none', 'none-ready', table.concat(notes, ', ')}
`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

const FAIL = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1, 0} end
local n = redis.call('HINCRBY', KEYS[1], 'infraFailures', 1)
redis.call('HSET', KEYS[1], 'lastInfraFailure', ARGV[1], 'updatedAt', ARGV[3])
local state = redis.call('HGET', KEYS[1], 'state') or 'ready'
if n >= tonumber(ARGV[2]) and state == 'ready' then
  redis.call('HSET', KEYS[1], 'state', 'quarantined', 'reason', n .. ' infrastructure failures in a row; last: ' .. ARGV[1])
  return {n, 1}
end
return {n, 0}
`;

export class MachineNotFoundError extends Error {
  readonly code = 'KBISECT_ERR_NOT_FOUND';
  constructor(id: string) {
    super(`no machine ${id}`);
    this.name = 'MachineNotFoundError';
  }
}

export class MachineBusyError extends Error {
  readonly code = 'KBISECT_ERR_MACHINE_BUSY';
  constructor(id: string, holder: string) {
    super(`machine ${id} is running a test (${holder}); drain it first and wait`);
    this.name = 'MachineBusyError';
  }
}

export class MachineStore implements MachineRegistry {
  private readonly ns: string;
  constructor(private readonly redis: Redis, namespace: string, private readonly now: () => Date = () => new Date()) {
    this.ns = namespace;
  }

  private specsKey(): string {
    return `${this.ns}:machines`;
  }
  private poolKey(pool: string): string {
    return `${this.ns}:pool:${pool}`;
  }
  private prefix(): string {
    return `${this.ns}:machine:`;
  }
  private statusKey(id: string): string {
    return `${this.prefix()}${id}:status`;
  }
  private leaseKey(id: string): string {
    return `${this.prefix()}${id}:lease`;
  }

  /** Adds or replaces a machine's spec; its status (drained, quarantined, counters) is kept. */
  async register(spec: MachineSpec): Promise<{ readonly created: boolean; readonly machine: Machine }> {
    const previous = await this.spec(spec.id);
    const tx = this.redis.multi();
    if (previous && previous.pool !== spec.pool) tx.srem(this.poolKey(previous.pool), spec.id);
    tx.hset(this.specsKey(), spec.id, JSON.stringify(spec)).sadd(this.poolKey(spec.pool), spec.id);
    if (!previous) tx.hset(this.statusKey(spec.id), { state: 'ready', infraFailures: '0', updatedAt: this.now().toISOString() });
    await tx.exec();
    return { created: !previous, machine: (await this.get(spec.id))! };
  }

  async get(id: string): Promise<Machine | undefined> {
    const spec = await this.spec(id);
    return spec ? { ...spec, status: await this.status(id) } : undefined;
  }

  async list(pool?: string): Promise<Machine[]> {
    const ids = pool !== undefined ? await this.redis.smembers(this.poolKey(pool)) : await this.redis.hkeys(this.specsKey());
    const machines = await Promise.all(ids.sort().map((id) => this.get(id)));
    return machines.filter((m): m is Machine => m !== undefined);
  }

  /** Machines of a pool in service (ready, leased or not): how many tests of one round the pool can take. */
  async readyCount(pool: string): Promise<number> {
    const machines = await this.list(pool);
    return machines.filter((m) => m.status.state === 'ready').length;
  }

  async remove(id: string): Promise<void> {
    const spec = await this.spec(id);
    if (!spec) throw new MachineNotFoundError(id);
    const holder = await this.redis.get(this.leaseKey(id));
    if (holder !== null) throw new MachineBusyError(id, holder);
    await this.redis.multi().hdel(this.specsKey(), id).srem(this.poolKey(spec.pool), id).del(this.statusKey(id)).exec();
  }

  /** Takes a machine out of service; a test running on it finishes first. */
  async drain(id: string, reason: string): Promise<Machine> {
    await this.must(id);
    await this.redis.hset(this.statusKey(id), { state: 'drained', reason, updatedAt: this.now().toISOString() });
    return (await this.get(id))!;
  }

  /** Back in service, with a clean failure count (also ends a quarantine). */
  async undrain(id: string): Promise<Machine> {
    await this.must(id);
    await this.redis.multi().hset(this.statusKey(id), { state: 'ready', infraFailures: '0', updatedAt: this.now().toISOString() }).hdel(this.statusKey(id), 'reason').exec();
    return (await this.get(id))!;
  }

  async lease(pool: string, holder: string, ttlMs: number, avoid: readonly string[] = []): Promise<{ machine: MachineSpec } | { none: NoMachine; detail: string }> {
    const r = (await this.redis.eval(LEASE, 1, this.poolKey(pool), this.prefix(), holder, String(ttlMs), ...avoid)) as string[];
    if (r[0] === 'machine') {
      const spec = await this.spec(r[1]!);
      if (spec) return { machine: spec };
      await this.release(r[1]!, holder);
      return { none: 'none-ready', detail: `${r[1]} was removed` };
    }
    return { none: r[1] as NoMachine, detail: r[2] ?? '' };
  }

  async renew(id: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.leaseKey(id), holder, String(ttlMs))) === 1;
  }

  async release(id: string, holder: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.leaseKey(id), holder);
  }

  async recordInfraFailure(id: string, reason: string, quarantineAfter: number): Promise<{ infraFailures: number; quarantined: boolean }> {
    const [n, q] = (await this.redis.eval(FAIL, 2, this.statusKey(id), this.specsKey(), reason.slice(0, 500), String(quarantineAfter), this.now().toISOString())) as [number, number];
    return { infraFailures: Math.max(0, n), quarantined: q === 1 };
  }

  async recordSuccess(id: string): Promise<void> {
    await this.redis.hset(this.statusKey(id), { infraFailures: '0', updatedAt: this.now().toISOString() });
  }

  private async must(id: string): Promise<void> {
    if ((await this.redis.hexists(this.specsKey(), id)) === 0) throw new MachineNotFoundError(id);
  }

  private async spec(id: string): Promise<MachineSpec | undefined> {
    const json = await this.redis.hget(this.specsKey(), id);
    return json === null ? undefined : (JSON.parse(json) as MachineSpec);
  }

  private async status(id: string): Promise<MachineStatus> {
    const [h, holder] = await Promise.all([this.redis.hgetall(this.statusKey(id)), this.redis.get(this.leaseKey(id))]);
    const state = h.state === 'drained' || h.state === 'quarantined' ? h.state : 'ready';
    return {
      state,
      infraFailures: Number(h.infraFailures ?? 0),
      updatedAt: h.updatedAt ?? '',
      ...(h.reason ? { reason: h.reason } : {}),
      ...(h.lastInfraFailure ? { lastInfraFailure: h.lastInfraFailure } : {}),
      ...(holder !== null ? { leasedBy: holder } : {}),
    };
  }
}
