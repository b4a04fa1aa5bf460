import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import type { TokenLimits } from './token-limits.js';

// KEYS: the token's submission times (zset), the token's active ids (set).
// ARGV: now ms, window ms, per-window cap, concurrent cap, the new id, the meta-hash prefix, the suffix.
// Atomic across API replicas: drop submissions older than the window and ids that ended,
// refuse over either cap, else record the submission and the id together.
const ADMIT = `
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local recent = redis.call('ZCARD', KEYS[1])
if recent >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {'rate', recent, tonumber(oldest[2]) + window - now}
end
local active = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local status = redis.call('HGET', ARGV[6] .. id .. ARGV[7], 'status')
  if status == 'queued' or status == 'running' then active = active + 1 else redis.call('SREM', KEYS[2], id) end
end
if active >= tonumber(ARGV[4]) then return {'concurrent', active, 0} end
redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], window)
redis.call('SADD', KEYS[2], ARGV[5])
return {'ok', active + 1, 0}
`;

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'rate'; readonly count: number; readonly retryAfterMs: number }
  | { readonly ok: false; readonly reason: 'concurrent'; readonly count: number };

const WINDOW_MS = 60_000;

/**
 * Per-token admission of new bisections: submissions per rolling minute and
 * bisections queued or running at once, kept in Redis so every API process
 * counts the same. An id admitted but never created (the request failed
 * after admission) leaves the active set on the next check, as its meta hash
 * has no live status.
 */
export class SubmissionQuota {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async admit(token: string, limits: Pick<TokenLimits, 'submissionsPerMinute' | 'concurrentBisections'>, id: string, nowMs: number): Promise<Admission> {
    const metaOf = this.keys.meta('\u0000').split('\u0000');
    const [reason, count, wait] = (await this.redis.eval(
      ADMIT, 2, this.keys.submissions(token), this.keys.active(token),
      nowMs, WINDOW_MS, limits.submissionsPerMinute, limits.concurrentBisections, id, metaOf[0] ?? '', metaOf[1] ?? '',
    )) as [string, number, number];
    if (reason === 'rate') return { ok: false, reason, count, retryAfterMs: Math.max(1, wait) };
    if (reason === 'concurrent') return { ok: false, reason, count };
    return { ok: true };
  }
}
