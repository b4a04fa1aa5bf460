import { join } from 'node:path';
import { pino } from 'pino';
import { startStore, storeConfigFromEnv } from '@kbisect/artifact-store';
import { apiConfigFromEnv, startApi } from '@kbisect/api';
import { gitOpener, startWorkers, workerConfigFromEnv } from '@kbisect/worker';
import { cacheDirFrom } from '../cache-dir.js';
import { ensureLocalRequestKey } from '../local-request-key.js';
import { ensureLocalStoreToken } from '../local-store-tokens.js';
import { ensureLocalAdminToken } from '../local-tokens.js';
import { parseOptions } from '../parse-options.js';
import { startPrivateRedis, type PrivateRedis } from '../private-redis.js';
import { stateDirFrom } from '../state-dir.js';
import { UsageError } from '../usage-error.js';
import { allowVirtualLabFiles, startVirtualLab } from '../virtual-lab-service.js';

/** A URL as it may be printed: without its user and password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '(REDIS_URL)';
  }
}

export const SERVE_USAGE = `usage: kbisect serve [--port N] [--host ADDR] [--state-dir DIR] [--virtual-machines N] [--store-port N]

Runs the API and every worker role in one process. Without REDIS_URL it starts
a private redis-server (data under the state dir, a generated password in
<state dir>/redis/password) and stops it on exit. On
first start it creates a local admin token and prints where it put it. It
also starts the virtual lab — N QEMU machines behind ipmi_sim BMCs (default
1, 0 for none), registered in pool 'virtual' — and stops it on exit. The
artifact store runs in the same process on its own port (--store-port, default
any free one, on --host), data under <state dir>/store; its build credential
is created there once, and the workers publish and fetch every kernel through
it as separate build and lab hosts would.`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'state-dir': { type: 'string' },
  'cache-dir': { type: 'string' },
  'virtual-machines': { type: 'string' },
  'store-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function serveCommand(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void }, onReady?: (url: string) => void): Promise<number> {
  const { values, positionals } = parseOptions('serve', argv, OPTIONS);
  if (values.help) {
    io.out(SERVE_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`kbisect serve: unexpected argument '${positionals[0]}'`);
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`kbisect serve: --port: '${values.port}' is not a port number`);
  const vms = values['virtual-machines'] === undefined ? 1 : Number(values['virtual-machines']);
  if (!Number.isInteger(vms) || vms < 0 || vms > 16) throw new UsageError(`kbisect serve: --virtual-machines: '${values['virtual-machines']}' is not a number from 0 to 16`);
  const storePort = values['store-port'] === undefined ? 0 : Number(values['store-port']);
  if (!Number.isInteger(storePort) || storePort < 0 || storePort > 65535) throw new UsageError(`kbisect serve: --store-port: '${values['store-port']}' is not a port number`);
  const stateDir = stateDirFrom(values['state-dir'], process.env);
  const cacheDir = cacheDirFrom(values['cache-dir'], process.env);
  const logger = pino({ name: 'kbisect', level: process.env.KBISECT_LOG_LEVEL ?? 'warn' });

  let redis: PrivateRedis | undefined;
  const env = { ...process.env };
  if (!env.REDIS_URL) {
    redis = await startPrivateRedis(stateDir);
    env.REDIS_URL = redis.url;
  }
  try {
    const tokens = env.KBISECT_TOKENS_FILE || env.KBISECT_TOKENS ? undefined : await ensureLocalAdminToken(stateDir);
    // Embedded default: one local user, so the local admin may use command probes.
    if (tokens && env.KBISECT_ALLOW_COMMAND_PROBE === undefined) env.KBISECT_ALLOW_COMMAND_PROBE = '1';
    await ensureLocalRequestKey(stateDir, env);
    allowVirtualLabFiles(env, join(stateDir, 'virtual-lab'), cacheDir);
    // Its own port, not a prefix of the API's: the store has its own credentials and no API hooks, and a lab host may be pointed at it.
    const storeToken = await ensureLocalStoreToken(stateDir);
    // KBISECT_STORE_LIMIT_GB and _PIN_TTL_HOURS apply; the place, port and credential are serve's own.
    const storeConfig = storeConfigFromEnv({ ...env, KBISECT_STORE_DIR: join(stateDir, 'store'), KBISECT_STORE_PORT: String(storePort), KBISECT_STORE_HOST: values.host ?? '127.0.0.1', KBISECT_STORE_CREDENTIALS_FILE: storeToken.credentialsFile, KBISECT_STORE_UPSTREAM_URL: '' }, { dir: join(stateDir, 'store') });
    const store = await startStore(storeConfig);
    env.KBISECT_STORE_URL ??= store.url;
    env.KBISECT_STORE_TOKEN_FILE ??= storeToken.tokenFile;
    const apiConfig = apiConfigFromEnv(env, { port, ...(values.host ? { host: values.host } : {}), ...(tokens ? { tokensFile: tokens.tokensPath } : {}) });
    const workers = await startWorkers(workerConfigFromEnv(env, ['orchestrator', 'build', 'test'], { cacheDir }), { openRepo: gitOpener(cacheDir), logger });
    const { loadTokens } = await import('@kbisect/api');
    const api = await startApi(apiConfig, tokens?.registry ?? (await loadTokens(apiConfig, env)), logger);
    const lab = vms > 0 ? await startVirtualLab(join(stateDir, 'virtual-lab'), vms, env.REDIS_URL!, apiConfig.namespace, io) : undefined;
    io.err(`kbisect: serving on ${api.url} (OpenAPI at ${api.url}/docs)`);
    io.err(`kbisect: artifact store on ${store.url}/store/v1 (build credential in ${storeToken.tokenFile})`);
    io.err(`kbisect: web UI at ${api.url}/${tokens ? ` (sign in with the token in ${tokens.tokenPath})` : ''}`);
    io.err(`kbisect: redis ${redis ? `${redis.displayUrl} (private, password in ${redis.passwordFile}, data in ${stateDir}/redis)` : redactUrl(env.REDIS_URL!)}`);
    if (tokens) io.err(`kbisect: ${tokens.created ? 'created' : 'using'} a local admin token in ${tokens.tokenPath}`);
    io.err(`kbisect: try  export KBISECT_URL=${api.url}; npx kbisect trees add linux <path>; npx kbisect submit --repo linux --good <ref> --bad <ref> --test-cmd '<cmd>' --watch`);
    onReady?.(api.url);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    io.err('kbisect: stopping');
    try {
      await api.close();
    } finally {
      await workers.close();
      await lab?.stop();
      await store.close();
    }
    return 0;
  } finally {
    await redis?.stop();
  }
}
