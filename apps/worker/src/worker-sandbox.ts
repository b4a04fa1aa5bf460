import type { Logger } from 'pino';
import { openSandbox, type OpenedSandbox } from '@kbisect/sandbox';
import type { WorkerConfig } from './worker-config.js';

/**
 * The worker's sandbox, opened and probed once at start, and what the
 * operator is told: ready (info), off (an error-level line on purpose: every
 * submitter's code now runs as the worker), or unavailable (the reason, and
 * that kernel builds and command probes will be refused).
 */
export async function openWorkerSandbox(config: Pick<WorkerConfig, 'sandbox' | 'sandboxUser'>, logger: Logger): Promise<OpenedSandbox> {
  const opened = await openSandbox(config.sandbox, config.sandboxUser);
  if (opened.status === 'ready') logger.info({ sandbox: 'bwrap', uid: opened.uid }, 'sandbox ready: builds, command probes and get_maintainer.pl run in bwrap');
  else if (opened.status === 'off') logger.error({ sandbox: 'off' }, 'SANDBOX OFF (KBISECT_SANDBOX=off): kernel builds, command probes and get_maintainer.pl run UNCONFINED as this worker, with its files, environment and network; every step says so in its evidence');
  else logger.error({ sandbox: 'unavailable', reason: opened.reason }, `sandbox unavailable: ${opened.reason}; this worker refuses kernel builds and command probes (fix bwrap/user namespaces, or set KBISECT_SANDBOX=off to run them unconfined)`);
  return opened;
}
