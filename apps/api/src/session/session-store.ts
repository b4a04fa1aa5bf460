import { createHash, randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Redis } from 'ioredis';
import type { Keys } from '@kbisect/service';

/** How long a browser session lives without being used. @defaultValue 12 hours */
export const SESSION_TTL_SECONDS = 12 * 3600;

const SessionSchema = Type.Object({
  /**
   * The sha256 of the token signed in with: the principal is looked up
   * again on every request, so a token removed from the token file (or
   * given another role) takes its sessions with it.
   */
  tokenSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** Sent back by the page in X-CSRF-Token on every state-changing request. */
  csrf: Type.String({ minLength: 32 }),
});
export type Session = Static<typeof SessionSchema>;

function jsonOrUndefined(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

const hashOf = (sid: string): string => createHash('sha256').update(sid, 'utf8').digest('hex');

/**
 * Browser sessions in Redis with a sliding expiry. Only the hash of the
 * cookie value is a key, so reading Redis does not yield a usable cookie.
 */
export class SessionStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async create(tokenSha256: string): Promise<{ sid: string; session: Session }> {
    const sid = randomBytes(32).toString('base64url');
    const session: Session = { tokenSha256, csrf: randomBytes(32).toString('base64url') };
    await this.redis.set(this.keys.session(hashOf(sid)), JSON.stringify(session), 'EX', SESSION_TTL_SECONDS);
    return { sid, session };
  }

  async get(sid: string): Promise<Session | undefined> {
    const key = this.keys.session(hashOf(sid));
    const raw = await this.redis.get(key);
    const parsed = raw === null ? undefined : jsonOrUndefined(raw);
    if (!Value.Check(SessionSchema, parsed)) return undefined;
    await this.redis.expire(key, SESSION_TTL_SECONDS);
    return parsed;
  }

  async destroy(sid: string): Promise<void> {
    await this.redis.del(this.keys.session(hashOf(sid)));
  }
}
