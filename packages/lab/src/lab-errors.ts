/**
 * Infrastructure failures: the lab could not run the test, so there is no
 * verdict — the step is retried, on another machine if this one keeps failing.
 * `kind` says what broke, for the quarantine decision and the report.
 */
export type InfraFailureKind =
  | 'bmc-unreachable'
  | 'bmc-auth-refused'
  | 'bmc-command-refused'
  | 'secret-unavailable'
  | 'console-unavailable'
  | 'pxe-staging'
  | 'power-state'
  | 'no-boot'
  | 'no-machine';

export class LabInfraError extends Error {
  readonly code = 'KBISECT_ERR_LAB_INFRA';
  readonly category = 'infrastructure' as const;
  constructor(readonly kind: InfraFailureKind, message: string, readonly machineId?: string) {
    super(message);
    this.name = 'LabInfraError';
  }
}

/** A request the lab cannot serve at all (an empty pool, a bad address): not retried. */
export class LabConfigError extends Error {
  readonly code = 'KBISECT_ERR_LAB_CONFIG';
  readonly category = 'configuration' as const;
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'LabConfigError';
  }
}
