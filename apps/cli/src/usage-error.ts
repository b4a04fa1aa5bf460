/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly code = 'KBISECT_ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
