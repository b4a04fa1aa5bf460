/** The build machinery failed (disk full, out of memory, killed, timeout): retry, never a verdict. */
export class BuildInfraError extends Error {
  readonly code = 'KBISECT_ERR_BUILD_INFRA';
  readonly category = 'infrastructure' as const;
  constructor(message: string) {
    super(message);
    this.name = 'BuildInfraError';
  }
}
