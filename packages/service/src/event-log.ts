import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Redis } from 'ioredis';
import { CorruptLogError } from './corrupt-log-error.js';
import type { Keys } from './keys.js';
import { LogEventSchema, type LogEvent, type StoredLogEvent } from './log-event.js';
import { redactEvent } from './path-redaction.js';
import { SEARCH_FIELD } from './search-summaries.js';
import { changesSearch } from './search-summary.js';

// Appends only if `token` was never used for this bisection: a replayed job
// (a worker killed after testing but before acking) cannot record a verdict twice.
// KEYS[3], ARGV[3]: the meta hash and the search summary's field, deleted with an event that changes it.
const APPEND_ONCE = `
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return false end
local entry = redis.call('XADD', KEYS[1], '*', 'e', ARGV[2])
if ARGV[3] ~= '' then redis.call('HDEL', KEYS[3], ARGV[3]) end
return entry
`;

export type RawEntries = [string, string[]][];

// Compiled once: every entry read is checked, and the interpreted Value.Check cost a multiple of this.
const checkEvent = TypeCompiler.Compile(LogEventSchema);

/** Parses and checks one stream entry (`e` = the event's JSON); a bad one is a CorruptLogError naming the key and entry. */
export function decodeEntry(key: string, entryId: string, fields: readonly string[]): StoredLogEvent {
  const at = fields.indexOf('e');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fields[at + 1] ?? '');
  } catch {
    throw new CorruptLogError(key, entryId);
  }
  if (at < 0 || !checkEvent.Check(parsed)) throw new CorruptLogError(key, entryId);
  return { id: entryId, event: parsed };
}

/** The append-only log of one bisection, a Redis stream. Stream ids are the fold's positions and part of the SSE ids. */
export class EventLog {
  /** `redact`: applied to reader-facing texts before they are stored (a worker's own paths; path-redaction.ts). */
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly redact?: (text: string) => string) {}

  private encode(event: LogEvent): string {
    return JSON.stringify(this.redact ? redactEvent(event, this.redact) : event);
  }

  /** An event that changes the search summary drops it in the same transaction: no reader keeps one older than the log. */
  async append(id: string, event: LogEvent): Promise<string> {
    if (!changesSearch(event)) return (await this.redis.xadd(this.keys.log(id), '*', 'e', this.encode(event))) ?? '';
    const res = await this.redis.multi().xadd(this.keys.log(id), '*', 'e', this.encode(event)).hdel(this.keys.meta(id), SEARCH_FIELD).exec();
    const [err, entry] = res?.[0] ?? [new Error(`append to ${this.keys.log(id)} was aborted`), null];
    if (err) throw err;
    return typeof entry === 'string' ? entry : '';
  }

  /** Appends unless an event with the same token was appended before; returns the entry id or undefined. */
  async appendOnce(id: string, token: string, event: LogEvent): Promise<string | undefined> {
    const field = changesSearch(event) ? SEARCH_FIELD : '';
    const res = (await this.redis.eval(APPEND_ONCE, 3, this.keys.log(id), this.keys.once(id), this.keys.meta(id), token, this.encode(event), field)) as string | null;
    return res ?? undefined;
  }

  /** The entries after `after` (else from the start) up to `until` (else the end), both ids. */
  async read(id: string, after?: string, until?: string): Promise<StoredLogEvent[]> {
    const key = this.keys.log(id);
    const raw = (await this.redis.xrange(key, after ? `(${after}` : '-', until ?? '+')) as RawEntries;
    return raw.map(([entryId, fields]) => decodeEntry(key, entryId, fields));
  }
}
