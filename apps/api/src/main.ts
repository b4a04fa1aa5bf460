import { pino } from 'pino';
import { closeOnSignal } from '@kbisect/service';
import { apiConfigFromEnv } from './api-config.js';
import { loadTokens, startApi } from './server.js';

/** `node apps/api/dist/main.js` — the API alone, configured by environment (see docker-compose.yml). */
const logger = pino({ name: 'kbisect-api', level: process.env.KBISECT_LOG_LEVEL ?? 'info' });
try {
  const config = apiConfigFromEnv(process.env);
  const api = await startApi(config, await loadTokens(config, process.env), logger);
  logger.info({ url: api.url }, 'api listening');
  closeOnSignal(() => api.close(), (err) => logger.error({ err }, 'shutdown failed'));
} catch (err) {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
