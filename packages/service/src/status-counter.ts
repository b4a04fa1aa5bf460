import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { STATUSES, type BisectionStatus } from './shared-schemas.js';

// KEYS: meta hash, then one set per status (STATUSES order); ARGV: id, new status index (1-based).
// Moves the id into its status's set and out of every other one, with the hash, atomically.
const SET_STATUS = `
local n = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'status', ARGV[3])
for i = 2, #KEYS do
  if i - 1 == n then redis.call('SADD', KEYS[i], ARGV[1]) else redis.call('SREM', KEYS[i], ARGV[1]) end
end
return 1
`;

// KEYS: the status sets, then one meta hash per id; ARGV: the ids. Puts ids not yet in a set into their status's set.
const BACKFILL = `
local s = #KEYS - #ARGV
for i, id in ipairs(ARGV) do
  local status = redis.call('HGET', KEYS[s + i], 'status')
  for k = 1, s do
    if redis.call('SISMEMBER', KEYS[k], id) == 1 then status = nil end
  end
  if status then
    for k, name in ipairs({${STATUSES.map((s) => `'${s}'`).join(', ')}}) do
      if name == status then redis.call('SADD', KEYS[k], id) end
    end
  end
end
return 1
`;

const PAGE = 500;

/**
 * Bisections by status, kept as one Redis set per status, so counting them
 * all costs one SCARD per status at any number of bisections. Bisections
 * created before the sets existed are added once, page by page, the first
 * time the counts do not add up to the index.
 */
export class StatusCounter {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async set(id: string, status: BisectionStatus): Promise<void> {
    await this.redis.eval(SET_STATUS, 1 + STATUSES.length, this.keys.meta(id), ...STATUSES.map((s) => this.keys.byStatus(s)), id, String(STATUSES.indexOf(status) + 1), status);
  }

  async counts(): Promise<Record<string, number>> {
    let counted = await this.read();
    if (counted.sum < counted.total) {
      await this.backfill(counted.total);
      counted = await this.read();
    }
    return counted.counts;
  }

  private async read(): Promise<{ counts: Record<string, number>; sum: number; total: number }> {
    const m = this.redis.multi().zcard(this.keys.index);
    for (const s of STATUSES) m.scard(this.keys.byStatus(s));
    const res = (await m.exec()) ?? [];
    const n = res.map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    const counts = Object.fromEntries(STATUSES.map((s, i) => [s, n[i + 1] ?? 0]));
    return { counts, sum: Object.values(counts).reduce((a, b) => a + b, 0), total: n[0] ?? 0 };
  }

  private async backfill(total: number): Promise<void> {
    const sets = STATUSES.map((s) => this.keys.byStatus(s));
    for (let start = 0; start < total; start += PAGE) {
      const ids = await this.redis.zrange(this.keys.index, String(start), String(start + PAGE - 1));
      if (ids.length === 0) break;
      await this.redis.eval(BACKFILL, sets.length + ids.length, ...sets, ...ids.map((id) => this.keys.meta(id)), ...ids);
    }
  }
}
