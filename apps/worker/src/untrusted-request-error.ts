/** A bisection this worker will not act on: ends it with the reason (not retried). */
export class UntrustedRequestError extends Error {
  readonly code = 'KBISECT_ERR_UNTRUSTED_REQUEST';
  readonly category = 'user' as const;
  constructor(message: string) {
    super(message);
    this.name = 'UntrustedRequestError';
  }
}
