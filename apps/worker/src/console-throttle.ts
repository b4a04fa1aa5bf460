/**
 * Turns a console byte stream into progress events a browser can follow
 * without flooding the event log: complete lines only, at most one batch
 * per interval, at most `maxLines` per batch (the rest counted, not sent),
 * each line cut at `maxLineLength`. The full log is evidence, not this.
 * Pure: the caller passes the clock.
 */
export interface ThrottleOptions {
  /** @defaultValue 2000 */
  readonly intervalMs?: number;
  /** @defaultValue 40 */
  readonly maxLines?: number;
  /** @defaultValue 240 */
  readonly maxLineLength?: number;
}

export class ConsoleThrottle {
  private partial = '';
  private pending: string[] = [];
  private dropped = 0;
  private lastFlush = -Infinity;
  constructor(private readonly opts: ThrottleOptions = {}) {}

  /** Adds console text; returns a batch when one is due. */
  push(chunk: string, nowMs: number): string[] | undefined {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    const max = this.opts.maxLines ?? 40;
    for (const raw of parts) {
      // eslint-disable-next-line no-control-regex
      const line = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trimEnd();
      if (line === '') continue;
      if (this.pending.length < max) this.pending.push(line.slice(0, this.opts.maxLineLength ?? 240));
      else this.dropped++;
    }
    if (this.pending.length === 0 || nowMs - this.lastFlush < (this.opts.intervalMs ?? 2000)) return undefined;
    return this.take(nowMs);
  }

  /** Whatever is left, at the end of the test. */
  flush(nowMs: number): string[] | undefined {
    if (this.partial.trim() !== '') {
      if (this.pending.length < (this.opts.maxLines ?? 40)) this.pending.push(this.partial.trimEnd().slice(0, this.opts.maxLineLength ?? 240));
      else this.dropped++;
      this.partial = '';
    }
    return this.pending.length > 0 || this.dropped > 0 ? this.take(nowMs) : undefined;
  }

  private take(nowMs: number): string[] {
    const batch = this.dropped > 0 ? [...this.pending, `… ${this.dropped} more line(s) not streamed; the whole console log is in the evidence`] : this.pending;
    this.pending = [];
    this.dropped = 0;
    this.lastFlush = nowMs;
    return batch;
  }
}
