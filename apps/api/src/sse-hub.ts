import type { Redis } from 'ioredis';
import { compareStreamIds, readStreams, waitStreams, type Keys, type StreamCursor, type StreamEntry } from '@kbisect/service';

/** One open SSE stream as the hub sees it: where it is, and how to hand it entries. */
export interface StreamListener {
  cursor: StreamCursor;
  /** Entries after `cursor`, in order; resolves once they are written. */
  deliver(entries: readonly StreamEntry[]): void;
  heartbeat(): void;
  /** The shared reader failed; the stream ends. */
  fail(err: unknown): void;
}

interface Reader {
  cursor: StreamCursor;
  readonly listeners: Set<StreamListener>;
  readonly connection: Redis;
}

const atOrAfter = (a: StreamCursor, b: StreamCursor): boolean => compareStreamIds(a.log, b.log) >= 0 && compareStreamIds(a.console, b.console) >= 0;
const after = (entry: StreamEntry, c: StreamCursor): boolean => compareStreamIds(entry.id, entry.stream === 'log' ? c.log : c.console) > 0;

/**
 * One blocking Redis reader per bisection, shared by all its open streams
 * (500 viewers of one bisection cost one connection, not 500). The reader
 * follows both streams from its own cursor; a listener at or past the
 * reader's previous position takes the new entries as they are, and one
 * that fell behind (it joined while the reader was mid-read) catches up with
 * a non-blocking XRANGE on the shared client first, so no listener sees a
 * gap or a repeat.
 */
export class StreamHub {
  private readonly readers = new Map<string, Reader>();

  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly blockMs: number, private readonly connectionName: string) {}

  /** Open readers (one per followed bisection): for tests and /metrics. */
  get readerCount(): number {
    return this.readers.size;
  }

  /** Stops every reader (server close); their streams end with their sockets. */
  close(): void {
    const readers = [...this.readers.values()];
    this.readers.clear();
    for (const r of readers) r.connection.disconnect();
  }

  join(id: string, listener: StreamListener): () => void {
    let reader = this.readers.get(id);
    if (!reader) {
      reader = { cursor: listener.cursor, listeners: new Set(), connection: this.redis.duplicate({ connectionName: this.connectionName }) };
      this.readers.set(id, reader);
      void this.follow(id, reader);
    }
    reader.listeners.add(listener);
    const joined = reader;
    return () => {
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && this.readers.get(id) === joined) {
        this.readers.delete(id);
        joined.connection.disconnect();
      }
    };
  }

  private async follow(id: string, reader: Reader): Promise<void> {
    try {
      while (this.readers.get(id) === reader) {
        const previous = reader.cursor;
        const entries = await waitStreams(reader.connection, this.keys, id, previous, this.blockMs);
        if (this.readers.get(id) !== reader) return;
        if (entries.length === 0) {
          for (const l of reader.listeners) l.heartbeat();
          continue;
        }
        for (const e of entries) reader.cursor = e.stream === 'log' ? { ...reader.cursor, log: e.id } : { ...reader.cursor, console: e.id };
        await Promise.all([...reader.listeners].map((l) => this.hand(id, l, previous, entries)));
      }
    } catch (err) {
      // A disconnect on the last leave ends the read; anything else ends every stream of this bisection.
      if (this.readers.get(id) !== reader) return;
      this.readers.delete(id);
      reader.connection.disconnect();
      for (const l of reader.listeners) l.fail(err);
    }
  }

  private async hand(id: string, l: StreamListener, previous: StreamCursor, entries: readonly StreamEntry[]): Promise<void> {
    if (atOrAfter(l.cursor, previous)) {
      const fresh = entries.filter((e) => after(e, l.cursor));
      if (fresh.length > 0) l.deliver(fresh);
      return;
    }
    // Behind the reader: read its own gap (and these entries) from the shared, non-blocking client.
    const missed = await readStreams(this.redis, this.keys, id, l.cursor);
    if (missed.length > 0) l.deliver(missed);
  }
}
