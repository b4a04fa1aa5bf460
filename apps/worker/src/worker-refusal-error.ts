import type { TestWorkerCapability } from '@kbisect/service';

/**
 * A step this worker's own settings keep it from running (no request key, no
 * command probes, no network for probes): another worker of the fleet with
 * the capabilities it `needs` may take it (a test worker hands it on,
 * refused-step.ts); where none can, the step fails with the reason.
 */
export class WorkerRefusalError extends Error {
  readonly code = 'KBISECT_ERR_WORKER_REFUSED';
  readonly category = 'infrastructure' as const;
  constructor(message: string, readonly needs: readonly TestWorkerCapability[]) {
    super(message);
    this.name = 'WorkerRefusalError';
  }
}
