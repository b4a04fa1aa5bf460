/**
 * A step this worker's own settings keep it from running (no request key, no
 * command probes, no network for probes): retried, so another worker of the
 * fleet may take it; the step fails with the reason when retries run out.
 */
export class WorkerRefusalError extends Error {
  readonly code = 'KBISECT_ERR_WORKER_REFUSED';
  readonly category = 'infrastructure' as const;
  constructor(message: string) {
    super(message);
    this.name = 'WorkerRefusalError';
  }
}
