/**
 * What a sandboxed command printed, kept within a fixed budget: the first
 * `headBytes` (where a build says what it is doing) and the last `tailBytes`
 * (where it says why it stopped). Bytes in between are counted, never
 * stored, so a command printing 300 MB costs head + tail of memory.
 */
export class CappedOutput {
  private readonly head: Buffer[] = [];
  private headLength = 0;
  private tail: Buffer[] = [];
  private tailLength = 0;
  private seen = 0;

  /** @param onHead receives each byte kept in the head as it arrives (a log file streams them). */
  constructor(
    readonly headBytes: number,
    readonly tailBytes: number,
    private readonly onHead?: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.seen += chunk.length;
    let rest = chunk;
    if (this.headLength < this.headBytes) {
      const take = rest.subarray(0, this.headBytes - this.headLength);
      this.head.push(take);
      this.headLength += take.length;
      this.onHead?.(take);
      rest = rest.subarray(take.length);
    }
    if (rest.length === 0 || this.tailBytes === 0) return;
    this.tail.push(rest);
    this.tailLength += rest.length;
    // Drop whole chunks that lie entirely before the last tailBytes; trim the first at the end.
    while (this.tail.length > 1 && this.tailLength - this.tail[0]!.length >= this.tailBytes) this.tailLength -= this.tail.shift()!.length;
  }

  /** Every byte the command wrote, kept or not. */
  get totalBytes(): number {
    return this.seen;
  }

  get elidedBytes(): number {
    return this.seen - this.headLength - Math.min(this.tailLength, this.tailBytes);
  }

  /** What follows the head: the tail, behind a line saying how much was cut when something was. */
  rest(): string {
    const joined = Buffer.concat(this.tail);
    const tail = joined.subarray(Math.max(0, joined.length - this.tailBytes)).toString('utf8');
    const elided = this.elidedBytes;
    if (elided === 0) return tail;
    return `\n[kbisect: ${elided} bytes of output elided here; the first ${this.headBytes} and the last ${this.tailBytes} bytes are kept]\n${tail}`;
  }

  text(): string {
    return Buffer.concat(this.head).toString('utf8') + this.rest();
  }
}
