import type { Redis } from 'ioredis';
import { decodeEntry, type RawEntries } from './event-log.js';
import type { Keys } from './keys.js';
import type { StoredLogEvent } from './log-event.js';
import { compareStreamIds, STREAM_START } from './stream-id.js';

/**
 * A reader's position in a bisection's two streams: the log and the console.
 * As an SSE id it is `<log id>.<console id>`, or the bare `<log id>` while
 * no console entry was sent: so a bisection without console lines keeps the
 * ids it always had (the log's stream ids), and a bare id from a server of
 * before the split, which sent console lines from the log, means the same.
 * A client resuming with it reads each stream after its own position, so
 * neither stream can show a gap or a repeat, however the two interleaved.
 */
export interface StreamCursor {
  readonly log: string;
  readonly console: string;
}

const ID = /^[0-9]+-[0-9]+$/;

/** The cursor of a Last-Event-ID (undefined: from the start); undefined if it is not one of ours. */
export function parseCursor(lastEventId: string | undefined): StreamCursor | undefined {
  if (lastEventId === undefined) return { log: STREAM_START, console: STREAM_START };
  const [log, console, extra] = lastEventId.split('.');
  if (log === undefined || !ID.test(log) || extra !== undefined) return undefined;
  if (console === undefined) return { log, console: STREAM_START };
  return ID.test(console) ? { log, console } : undefined;
}

export function formatCursor(cursor: StreamCursor): string {
  return cursor.console === STREAM_START ? cursor.log : `${cursor.log}.${cursor.console}`;
}

/** The pattern of an SSE id this scheme writes (for the route's header schema). */
export const CURSOR_PATTERN = '^[0-9]+-[0-9]+(\\.[0-9]+-[0-9]+)?$';

export interface StreamEntry extends StoredLogEvent {
  readonly stream: 'log' | 'console';
}

/** Both streams' entries in id order (the log first on a tie): the order they were appended in, to the millisecond (sequence numbers are per stream). */
export function mergeEntries(log: readonly StoredLogEvent[], console: readonly StoredLogEvent[]): StreamEntry[] {
  const out: StreamEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < log.length || j < console.length) {
    const a = log[i];
    const b = console[j];
    if (a && (!b || compareStreamIds(a.id, b.id) <= 0)) {
      out.push({ stream: 'log', ...a });
      i++;
    } else if (b) {
      out.push({ stream: 'console', ...b });
      j++;
    }
  }
  return out;
}

/** The cursor after an entry was sent. */
export function advance(cursor: StreamCursor, entry: StreamEntry): StreamCursor {
  return entry.stream === 'log' ? { ...cursor, log: entry.id } : { ...cursor, console: entry.id };
}

/** Everything after the cursor, both streams read in one round trip. */
export async function readStreams(redis: Redis, keys: Keys, id: string, cursor: StreamCursor): Promise<StreamEntry[]> {
  const res = await redis.multi().xrange(keys.log(id), `(${cursor.log}`, '+').xrange(keys.console(id), `(${cursor.console}`, '+').exec();
  const [log, console] = [keys.log(id), keys.console(id)].map((key, k) => {
    const [err, raw] = res?.[k] ?? [new Error('no reply'), []];
    if (err) throw err;
    return (raw as RawEntries).map(([entryId, fields]) => decodeEntry(key, entryId, fields));
  }) as [StoredLogEvent[], StoredLogEvent[]];
  return mergeEntries(log, console);
}

/**
 * Waits up to `blockMs` for entries after the cursor in either stream, with
 * one blocking XREAD on a connection of its own.
 */
export async function waitStreams(blocking: Redis, keys: Keys, id: string, cursor: StreamCursor, blockMs: number): Promise<StreamEntry[]> {
  const res = (await blocking.xread('BLOCK', blockMs, 'STREAMS', keys.log(id), keys.console(id), cursor.log, cursor.console)) as [string, RawEntries][] | null;
  const by = new Map((res ?? []).map(([key, entries]) => [key, entries.map(([entryId, fields]) => decodeEntry(key, entryId, fields))]));
  return mergeEntries(by.get(keys.log(id)) ?? [], by.get(keys.console(id)) ?? []);
}
