/** The worker's sandbox does not work here (no user namespaces, no bwrap); untrusted work is refused. */
export class SandboxUnavailableError extends Error {
  readonly code = 'KBISECT_ERR_SANDBOX_UNAVAILABLE';
  /** Retrying on this worker fails the same way: the operator has to act. */
  readonly category = 'configuration';
  constructor(readonly reason: string) {
    super(`the build/test sandbox is unavailable on this worker (${reason}); it refuses untrusted work (kernel builds, command probes) until an operator fixes it or sets KBISECT_SANDBOX=off`);
    this.name = 'SandboxUnavailableError';
  }
}

/** A caller asked for something the sandbox does not allow (a variable outside the allow-list, a relative path). */
export class SandboxSpecError extends Error {
  readonly code = 'KBISECT_ERR_SANDBOX_SPEC';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`sandbox ${field}: ${reason}`);
    this.name = 'SandboxSpecError';
  }
}
