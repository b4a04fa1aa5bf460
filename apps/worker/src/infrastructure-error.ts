/** Thrown for failures of the machinery, not of the code under test: BullMQ retries these. */
export class InfrastructureError extends Error {
  readonly code = 'KBISECT_ERR_INFRASTRUCTURE';
  readonly category = 'infrastructure' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InfrastructureError';
  }
}
