import { Value } from '@sinclair/typebox/value';
import type { Redis } from 'ioredis';
import { CorruptLogError } from './corrupt-log-error.js';
import type { Keys } from './keys.js';
import { LogEventSchema, type LogEvent, type StoredLogEvent } from './log-event.js';

// Appends only if `token` was never used for this bisection: a replayed job
// (a worker killed after testing but before acking) cannot record a verdict twice.
const APPEND_ONCE = `
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return false end
return redis.call('XADD', KEYS[1], '*', 'e', ARGV[2])
`;

type RawEntries = [string, string[]][];

/** The append-only log of one bisection, a Redis stream. Stream ids double as SSE event ids. */
export class EventLog {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async append(id: string, event: LogEvent): Promise<string> {
    const entry = await this.redis.xadd(this.keys.log(id), '*', 'e', JSON.stringify(event));
    return entry ?? '';
  }

  /** Appends unless an event with the same token was appended before; returns the entry id or undefined. */
  async appendOnce(id: string, token: string, event: LogEvent): Promise<string | undefined> {
    const res = (await this.redis.eval(APPEND_ONCE, 2, this.keys.log(id), this.keys.once(id), token, JSON.stringify(event))) as string | null;
    return res ?? undefined;
  }

  async read(id: string, after?: string): Promise<StoredLogEvent[]> {
    const raw = (await this.redis.xrange(this.keys.log(id), after ? `(${after}` : '-', '+')) as RawEntries;
    return raw.map(([entryId, fields]) => this.decode(id, entryId, fields));
  }

  /**
   * Waits up to `blockMs` for entries after `after`. Needs a connection of its
   * own: a blocking read would stall every other command on a shared one.
   */
  async waitFor(blocking: Redis, id: string, after: string, blockMs: number): Promise<StoredLogEvent[]> {
    const res = (await blocking.xread('BLOCK', blockMs, 'STREAMS', this.keys.log(id), after)) as [string, RawEntries][] | null;
    const entries = res?.[0]?.[1] ?? [];
    return entries.map(([entryId, fields]) => this.decode(id, entryId, fields));
  }

  private decode(id: string, entryId: string, fields: string[]): StoredLogEvent {
    const at = fields.indexOf('e');
    let parsed: unknown;
    try {
      parsed = JSON.parse(fields[at + 1] ?? '');
    } catch {
      throw new CorruptLogError(this.keys.log(id), entryId);
    }
    if (at < 0 || !Value.Check(LogEventSchema, parsed)) throw new CorruptLogError(this.keys.log(id), entryId);
    return { id: entryId, event: parsed };
  }
}
