import { ApiError } from './api-errors.js';

/**
 * Open SSE streams per token and in total, on this API process. A stream
 * holds a socket and a share of a reader for as long as the client likes, so
 * both are capped; over a cap is a 429 with the documented error body.
 */
export class StreamQuota {
  private total = 0;
  private readonly byToken = new Map<string, number>();

  constructor(private readonly limits: { readonly total: number }) {}

  /** Takes a slot for `token` (cap: `perToken`) or throws a 429; the returned function gives it back, once. */
  take(token: string, perToken: number): () => void {
    const mine = this.byToken.get(token) ?? 0;
    if (mine >= perToken) throw new ApiError('KBISECT_ERR_TOO_MANY_STREAMS', `token '${token}' has ${mine} event streams open, its limit; close one first`, undefined, 5);
    if (this.total >= this.limits.total) throw new ApiError('KBISECT_ERR_TOO_MANY_STREAMS', `this server has ${this.total} event streams open, its limit; try again later`, undefined, 5);
    this.total++;
    this.byToken.set(token, mine + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.total--;
      const left = (this.byToken.get(token) ?? 1) - 1;
      if (left === 0) this.byToken.delete(token);
      else this.byToken.set(token, left);
    };
  }

  /** Streams open now, for /metrics and tests. */
  get open(): number {
    return this.total;
  }
}
