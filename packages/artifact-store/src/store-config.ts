import { isAbsolute } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { StoreConfigError } from './store-errors.js';

export const StoreConfigSchema = Type.Object({
  /** Where artifacts, staging and the pin table live (absolute). */
  dir: Type.String({ pattern: '^/' }),
  /** Total size of the artifacts kept (LRU beyond it, pinned ones never). @defaultValue 50 GB */
  limitBytes: Type.Integer({ minimum: 1 }),
  /** @defaultValue '127.0.0.1' */
  host: Type.String({ minLength: 1 }),
  /** @defaultValue 8081 */
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** The credentials file: {tokens:[{name, role: 'build'|'lab', sha256}]}. */
  credentialsFile: Type.String({ minLength: 1 }),
  /** A pin not renewed for this long lapses (its bisection's orchestrator died before releasing it). @defaultValue 72 */
  pinTtlHours: Type.Number({ exclusiveMinimum: 0 }),
  /** Pull-through cache mode: the store artifacts come from, and a lab credential for it (a file holding the token). */
  upstream: Type.Optional(Type.Object({ url: Type.String({ pattern: '^https?://' }), tokenFile: Type.String({ minLength: 1 }) })),
});
export type StoreConfig = Static<typeof StoreConfigSchema>;

/** Validated once at startup from KBISECT_STORE_*; a bad setting names itself and stops the process. */
export function storeConfigFromEnv(env: NodeJS.ProcessEnv, defaults: { dir: string; port?: number; host?: string; credentialsFile?: string }): StoreConfig {
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new StoreConfigError(`${name}: '${raw}' is not a positive number`);
    return n;
  };
  const port = env.KBISECT_STORE_PORT === undefined || env.KBISECT_STORE_PORT === '' ? defaults.port ?? 8081 : Number(env.KBISECT_STORE_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StoreConfigError(`KBISECT_STORE_PORT: '${env.KBISECT_STORE_PORT}' is not a port number`);
  const dir = env.KBISECT_STORE_DIR || defaults.dir;
  if (!isAbsolute(dir) || dir.split('/').includes('..')) throw new StoreConfigError(`KBISECT_STORE_DIR: '${dir}' is not an absolute path without '..'`);
  const credentialsFile = env.KBISECT_STORE_CREDENTIALS_FILE || defaults.credentialsFile;
  if (!credentialsFile) throw new StoreConfigError('KBISECT_STORE_CREDENTIALS_FILE: required (the store refuses to run open)');
  const upstreamUrl = env.KBISECT_STORE_UPSTREAM_URL;
  const upstreamToken = env.KBISECT_STORE_UPSTREAM_TOKEN_FILE;
  if (upstreamUrl && !upstreamToken) throw new StoreConfigError('KBISECT_STORE_UPSTREAM_TOKEN_FILE: required with KBISECT_STORE_UPSTREAM_URL (a lab credential of the upstream store)');
  if (upstreamUrl) {
    try {
      new URL(upstreamUrl);
    } catch {
      throw new StoreConfigError(`KBISECT_STORE_UPSTREAM_URL: '${upstreamUrl}' is not a URL`);
    }
  }
  const config = {
    dir,
    limitBytes: Math.floor(number('KBISECT_STORE_LIMIT_GB', 50) * 1024 ** 3),
    host: env.KBISECT_STORE_HOST || defaults.host || '127.0.0.1',
    port,
    credentialsFile,
    pinTtlHours: number('KBISECT_STORE_PIN_TTL_HOURS', 72),
    ...(upstreamUrl && upstreamToken ? { upstream: { url: upstreamUrl, tokenFile: upstreamToken } } : {}),
  };
  if (!Value.Check(StoreConfigSchema, config)) {
    const first = Value.Errors(StoreConfigSchema, config).First();
    throw new StoreConfigError(`store configuration: ${first ? `${first.path} ${first.message}` : 'invalid'}`);
  }
  return config;
}
