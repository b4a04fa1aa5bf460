import type { Redis } from 'ioredis';
import type { Keys } from '@kbisect/service';

/** Sign-in attempts allowed per window. @defaultValue 20 per client address, 10 per token tried, a minute each */
export interface SignInLimits {
  readonly perClient: number;
  readonly perToken: number;
  readonly windowMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { perClient: 20, perToken: 10, windowMs: 60_000 };

export type SignInAdmission =
  | { readonly ok: true }
  | { readonly ok: false; readonly scope: 'client' | 'token'; readonly limit: number; readonly retryAfterMs: number };

// KEYS: the client's counter, the token's counter. ARGV: window ms, client cap, token cap.
// One fixed window per key, started by its first attempt; both counters move together, atomically
// across API processes. The client is checked first: a guesser from one address is told so.
const ATTEMPT = `
local window = tonumber(ARGV[1])
local caps = {tonumber(ARGV[2]), tonumber(ARGV[3])}
for i = 1, 2 do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], window) end
end
for i = 1, 2 do
  local n = tonumber(redis.call('GET', KEYS[i]))
  if n > caps[i] then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then redis.call('PEXPIRE', KEYS[i], window); ttl = window end
    return {i, caps[i], ttl}
  end
end
return {0, 0, 0}
`;

/**
 * Counts sign-in attempts (right or wrong) per client address and per
 * token tried, so a token cannot be guessed at speed from one address and
 * one token cannot be hammered from many. Refused attempts count too: a
 * client that keeps trying stays refused until its window ends.
 */
export class SignInLimiter {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS) {}

  async attempt(client: string, tokenSha256: string): Promise<SignInAdmission> {
    const [which, limit, ttl] = (await this.redis.eval(
      ATTEMPT, 2, this.keys.signIns('client', client), this.keys.signIns('token', tokenSha256),
      this.limits.windowMs, this.limits.perClient, this.limits.perToken,
    )) as [number, number, number];
    if (which === 0) return { ok: true };
    return { ok: false, scope: which === 1 ? 'client' : 'token', limit, retryAfterMs: Math.max(1, ttl) };
  }
}
