/**
 * When a marker first arrived on a stream of text chunks, stamped as each
 * chunk comes in. A watcher that polls the text instead misses the moment
 * when the machine prints its result and powers itself off between two
 * polls (the power check sees "off" first), and the result then has no time.
 */
export class FirstMatchClock {
  private tail = '';
  private stamp: number | undefined;

  /** `pattern` must match within `reach` characters, which a marker split across chunks may straddle. */
  constructor(private readonly pattern: RegExp, private readonly reach = 256, private readonly now: () => number = Date.now) {}

  feed(chunk: string): void {
    if (this.stamp !== undefined) return;
    const text = this.tail + chunk;
    if (this.pattern.test(text)) {
      this.stamp = this.now();
      return;
    }
    this.tail = text.slice(-this.reach);
  }

  /** Milliseconds since the epoch at which the chunk completing the first match arrived. */
  get at(): number | undefined {
    return this.stamp;
  }
}
