import type { Redis } from 'ioredis';
import { decodeEntry, type RawEntries } from './event-log.js';
import type { Keys } from './keys.js';
import type { LogEvent, StoredLogEvent } from './log-event.js';

/** A batch of console lines of a lab step: a `step-progress` event of phase `console`. */
export type ConsoleEvent = Extract<LogEvent, { type: 'step-progress' }> & { readonly phase: 'console' };

/**
 * Entries a console stream keeps (XADD MAXLEN ~, so Redis trims in whole
 * nodes): a lab worker appends one batch every 2 s, so this is over an hour
 * of one step's console. The full console of every step is its evidence;
 * this stream is for watching live.
 */
export const CONSOLE_CAP = 2000;

/**
 * Console lines of a bisection's lab steps, in a stream of their own
 * (`<ns>:b:<id>:console`): they arrive every few seconds during a kernel
 * step, and in the log they grew it and moved every view's cache key.
 */
export class ConsoleLog {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly cap = CONSOLE_CAP) {}

  async append(id: string, event: ConsoleEvent): Promise<string> {
    const entry = await this.redis.xadd(this.keys.console(id), 'MAXLEN', '~', this.cap, '*', 'e', JSON.stringify(event));
    return entry ?? '';
  }

  async read(id: string, after?: string): Promise<StoredLogEvent[]> {
    const key = this.keys.console(id);
    const raw = (await this.redis.xrange(key, after ? `(${after}` : '-', '+')) as RawEntries;
    return raw.map(([entryId, fields]) => decodeEntry(key, entryId, fields));
  }
}
