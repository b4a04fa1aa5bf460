import type { Logger } from 'pino';
import type { OpenedSandbox } from '@kbisect/sandbox';
import type { OpenRepo } from './repo-port.js';
import { startBuildWorker } from './start-build-worker.js';
import { startOrchestratorWorker } from './start-orchestrator-worker.js';
import { startTestWorker } from './start-test-worker.js';
import type { StartedRole } from './started-role.js';
import type { WorkerConfig } from './worker-config.js';
import { openWorkerContext } from './worker-context.js';

export interface RunningWorkers {
  close(): Promise<void>;
}

/**
 * Starts this process's share of the roles, each wired in its own
 * start-*-worker.ts over one shared context. Processors are thin: validate
 * the job data, call the core, return a typed result; retries with backoff
 * are for infrastructure failures only.
 */
export async function startWorkers(config: WorkerConfig, deps: { openRepo: OpenRepo; logger: Logger; sandbox?: OpenedSandbox }): Promise<RunningWorkers> {
  const opened = await openWorkerContext(config, deps);
  const { context } = opened;
  // Started in this order, released in this order (test slots before build slots).
  const roles: StartedRole[] = [];
  const stop = async (): Promise<void> => {
    // Withdrawn first, so no round counts on slots that are going away; resources last, once no job uses them.
    for (const role of roles) await role.withdraw?.();
    await Promise.all(roles.map((role) => role.worker.close()));
    await opened.close();
    for (const role of roles) await role.release?.();
  };
  try {
    if (config.roles.includes('orchestrator')) roles.push(startOrchestratorWorker(context));
    if (config.roles.includes('test')) roles.push(await startTestWorker(context));
    if (config.roles.includes('build')) roles.push(await startBuildWorker(context));
  } catch (err) {
    // A role that cannot start (a busy boot port, build slots held elsewhere) must not leave the others taking jobs in a process about to exit.
    await stop().catch((e: unknown) => deps.logger.error({ err: e }, 'could not stop the roles already started'));
    throw err;
  }

  for (const { worker } of roles) worker.on('error', (err) => deps.logger.error({ err }, 'worker error'));
  return { close: stop };
}
