import { join } from 'node:path';
import { pino } from 'pino';
import { startStore, storeConfigFromEnv } from '@kbisect/artifact-store';
import { parseOptions } from '../parse-options.js';
import { stateDirFrom } from '../state-dir.js';
import { UsageError } from '../usage-error.js';

export const STORE_USAGE = `usage: kbisect store [--port N] [--host ADDR] [--state-dir DIR]

Runs the HTTP artifact store alone (docker-compose's 'store' service): build
workers upload kernels to it, lab workers download them. Settings from the
environment: KBISECT_STORE_CREDENTIALS_FILE (required: {tokens:[{name, role:
build|lab, sha256}]}), KBISECT_STORE_DIR (default <state dir>/store),
KBISECT_STORE_LIMIT_GB (50), KBISECT_STORE_PIN_TTL_HOURS (72), KBISECT_STORE_PORT
(8081), KBISECT_STORE_HOST (127.0.0.1). On a lab host, KBISECT_STORE_UPSTREAM_URL
and KBISECT_STORE_UPSTREAM_TOKEN_FILE (a lab credential of the upstream store)
make it a pull-through cache.`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function storeCommand(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const { values, positionals } = parseOptions('store', argv, OPTIONS);
  if (values.help) {
    io.out(STORE_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`kbisect store: unexpected argument '${positionals[0]}'`);
  const env = { ...process.env, ...(values.port !== undefined ? { KBISECT_STORE_PORT: values.port } : {}), ...(values.host !== undefined ? { KBISECT_STORE_HOST: values.host } : {}) };
  const config = storeConfigFromEnv(env, { dir: join(stateDirFrom(values['state-dir'], process.env), 'store') });
  const logger = pino({ name: 'kbisect-store', level: process.env.KBISECT_LOG_LEVEL ?? 'info' });
  const store = await startStore(config, { logger });
  io.err(`kbisect: artifact store on ${store.url}/store/v1 (${config.upstream ? `pull-through cache of ${config.upstream.url}` : 'primary'}, ${(config.limitBytes / 1024 ** 3).toFixed(1)} GB in ${config.dir})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await store.close();
  return 0;
}
