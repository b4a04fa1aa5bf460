import { homedir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { closeOnSignal } from '@kbisect/service';
import { gitOpener } from './git-repo-adapter.js';
import { startWorkers } from './start-workers.js';
import { workerConfigFromEnv } from './worker-config.js';

/**
 * `node apps/worker/dist/main.js orchestrator test` — runs the named roles in
 * this process (orchestrator and test when none is named; build only when
 * asked for); scale by running more processes on more hosts against the
 * same Redis.
 */
const logger = pino({ name: 'kbisect-worker' });
try {
  const roles = process.argv.slice(2);
  const config = workerConfigFromEnv(process.env, roles.length > 0 ? roles : ['orchestrator', 'test'], { cacheDir: join(homedir(), '.cache', 'kbisect') });
  const workers = await startWorkers(config, { openRepo: gitOpener(config.cacheDir), logger });
  logger.info({ roles: config.roles, namespace: config.namespace }, 'workers started');
  closeOnSignal(() => workers.close(), (err) => logger.error({ err }, 'shutdown failed'));
} catch (err) {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
