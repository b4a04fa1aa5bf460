import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { ANSWERED_STATUSES } from '@kbisect/bisect';
import { STATUSES, isAnswered, type BisectionStatus } from './shared-schemas.js';

// KEYS: meta hash, then one set per status (STATUSES order), then the index and the answered index;
// ARGV: id, new status index (1-based), the status, '1' when it is answered.
// Moves the id into its status's set and out of every other one, and into (or out of) the answered index
// with its score in the index, with the hash, atomically.
const SET_STATUS = `
local n = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'status', ARGV[3])
for i = 2, #KEYS - 2 do
  if i - 1 == n then redis.call('SADD', KEYS[i], ARGV[1]) else redis.call('SREM', KEYS[i], ARGV[1]) end
end
local score = redis.call('ZSCORE', KEYS[#KEYS - 1], ARGV[1])
if ARGV[4] == '1' and score then redis.call('ZADD', KEYS[#KEYS], score, ARGV[1]) else redis.call('ZREM', KEYS[#KEYS], ARGV[1]) end
return 1
`;

// KEYS: the index, the answered index, then the answered statuses' sets. Rebuilds the answered index from them.
const REBUILD_ANSWERED = `
redis.call('DEL', KEYS[2])
for k = 3, #KEYS do
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[k])) do
    local score = redis.call('ZSCORE', KEYS[1], id)
    if score then redis.call('ZADD', KEYS[2], score, id) end
  end
end
return redis.call('ZCARD', KEYS[2])
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
 * all costs one SCARD per status at any number of bisections; and the
 * answered ones also in index order (a sorted set), so the list's text
 * search walks only those. Bisections created before the sets existed are
 * added once, page by page, the first time the counts do not add up to the
 * index.
 */
export class StatusCounter {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async set(id: string, status: BisectionStatus): Promise<void> {
    const keys = [this.keys.meta(id), ...STATUSES.map((s) => this.keys.byStatus(s)), this.keys.index, this.keys.answered];
    await this.redis.eval(SET_STATUS, keys.length, ...keys, id, String(STATUSES.indexOf(status) + 1), status, isAnswered(status) ? '1' : '0');
  }

  /**
   * Makes the answered index (found and ambiguous bisections, in index order) hold what the status sets
   * say: filled once for a store from before it existed, and whenever its size disagrees with them.
   * One round trip when it is right.
   */
  async ensureAnswered(): Promise<void> {
    let counted = await this.read();
    if (counted.sum < counted.total) {
      await this.backfill(counted.total);
      counted = await this.read();
    }
    const answered = ANSWERED_STATUSES.reduce((n, s) => n + (counted.counts[s] ?? 0), 0);
    const sets = ANSWERED_STATUSES.map((s) => this.keys.byStatus(s));
    if (counted.answered !== answered) await this.redis.eval(REBUILD_ANSWERED, 2 + sets.length, this.keys.index, this.keys.answered, ...sets);
  }

  /** The ids of every bisection with `status` (the sets filled first for a store from before they existed). */
  async members(status: BisectionStatus): Promise<string[]> {
    await this.counts();
    return this.redis.smembers(this.keys.byStatus(status));
  }

  async counts(): Promise<Record<string, number>> {
    let counted = await this.read();
    if (counted.sum < counted.total) {
      await this.backfill(counted.total);
      counted = await this.read();
    }
    return counted.counts;
  }

  private async read(): Promise<{ counts: Record<string, number>; sum: number; total: number; answered: number }> {
    const m = this.redis.multi().zcard(this.keys.index);
    for (const s of STATUSES) m.scard(this.keys.byStatus(s));
    m.zcard(this.keys.answered);
    const res = (await m.exec()) ?? [];
    const n = res.map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    const counts = Object.fromEntries(STATUSES.map((s, i) => [s, n[i + 1] ?? 0]));
    return { counts, sum: Object.values(counts).reduce((a, b) => a + b, 0), total: n[0] ?? 0, answered: n[STATUSES.length + 1] ?? 0 };
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
