import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_COMMAND_TIMEOUT_SEC, OpenRepoPolicyError, OpenRepoPolicySchema, openRepoPolicyFromEnv, parseAddress, redisUrlFromEnv } from '@kbisect/service';

export const ApiConfigSchema = Type.Object({
  redisUrl: Type.String({ minLength: 1 }),
  /** @defaultValue 'kbisect' */
  namespace: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  /** @defaultValue 8080 */
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** @defaultValue '127.0.0.1' */
  host: Type.String({ minLength: 1 }),
  /** Token file (JSON with sha256 hashes), or KBISECT_TOKENS in the environment. */
  tokensFile: Type.Optional(Type.String()),
  /**
   * Whether `command` probes (a submitter's shell command run on a worker) are
   * accepted over the API at all; even then only from tokens allowed to.
   * @defaultValue false
   */
  allowCommandProbe: Type.Boolean(),
  /** The key that signs accepted submissions for the workers (KBISECT_REQUEST_KEY_FILE, mode 0600); workers refuse command probes without it. */
  requestKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  /** Event streams open at once on this process (KBISECT_LIMIT_SSE_TOTAL); per token see KBISECT_LIMIT_SSE_PER_TOKEN. @defaultValue 1000 */
  sseTotalStreams: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  /**
   * A command probe's timeout on the workers when the request names none
   * (KBISECT_TEST_TIMEOUT_SEC, the workers' setting): a token whose
   * `maxTimeoutSec` is lower gets its limit written into the request instead.
   * @defaultValue 3600
   */
  defaultTestTimeoutSec: Type.Integer({ minimum: 1, maximum: 86_400 }),
  /** @defaultValue 65536 */
  bodyLimit: Type.Integer({ minimum: 1024 }),
  /**
   * Where readers of a report mail reach this API (KBISECT_PUBLIC_URL): the
   * mail's links start with it. An http(s) URL without a trailing slash.
   * @defaultValue the scheme and Host of each request
   */
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*[^/?#\\s])?$', maxLength: 512 })),
  /** A report mail's sender when the request names none (KBISECT_MAIL_FROM), "Name <addr>" or "addr". */
  mailFrom: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  /**
   * Unregistered repository URLs a submission may name (KBISECT_OPEN_REPOS
   * schemes + KBISECT_REPO_HOSTS hosts). Absent: registered trees only.
   * @defaultValue undefined
   */
  openRepos: Type.Optional(OpenRepoPolicySchema),
});
export type ApiConfig = Static<typeof ApiConfigSchema>;

export class ApiConfigError extends Error {
  readonly code = 'KBISECT_ERR_API_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ApiConfigError';
  }
}

function openReposOf(env: NodeJS.ProcessEnv): { openRepos?: Static<typeof OpenRepoPolicySchema> } {
  try {
    const policy = openRepoPolicyFromEnv(env);
    return policy ? { openRepos: policy } : {};
  } catch (err) {
    if (err instanceof OpenRepoPolicyError) throw new ApiConfigError(err.message);
    throw err;
  }
}

export function apiConfigFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<ApiConfig> = {}): ApiConfig {
  const config: Record<string, unknown> = {
    redisUrl: redisUrlFromEnv(env),
    namespace: env.KBISECT_NAMESPACE ?? 'kbisect',
    port: env.KBISECT_PORT ? Number(env.KBISECT_PORT) : 8080,
    host: env.KBISECT_HOST ?? '127.0.0.1',
    ...(env.KBISECT_MAIL_FROM !== undefined ? { mailFrom: env.KBISECT_MAIL_FROM } : {}),
    ...(env.KBISECT_PUBLIC_URL !== undefined ? { publicUrl: env.KBISECT_PUBLIC_URL.replace(/\/+$/, '') } : {}),
    allowCommandProbe: env.KBISECT_ALLOW_COMMAND_PROBE === '1' || env.KBISECT_ALLOW_COMMAND_PROBE === 'true',
    bodyLimit: env.KBISECT_BODY_LIMIT ? Number(env.KBISECT_BODY_LIMIT) : 65536,
    defaultTestTimeoutSec: env.KBISECT_TEST_TIMEOUT_SEC ? Number(env.KBISECT_TEST_TIMEOUT_SEC) : DEFAULT_COMMAND_TIMEOUT_SEC,
    sseTotalStreams: env.KBISECT_LIMIT_SSE_TOTAL ? Number(env.KBISECT_LIMIT_SSE_TOTAL) : 1000,
    ...(env.KBISECT_REQUEST_KEY_FILE ? { requestKeyFile: env.KBISECT_REQUEST_KEY_FILE } : {}),
    ...(env.KBISECT_TOKENS_FILE ? { tokensFile: env.KBISECT_TOKENS_FILE } : {}),
    ...openReposOf(env),
    ...overrides,
  };
  if (config.publicUrl !== undefined && !Value.Check(ApiConfigSchema.properties.publicUrl, config.publicUrl)) {
    throw new ApiConfigError('KBISECT_PUBLIC_URL: expected an http(s) URL such as https://kbisect.example.org (no query or fragment)');
  }
  if (!Value.Check(ApiConfigSchema.properties.defaultTestTimeoutSec, config.defaultTestTimeoutSec)) {
    throw new ApiConfigError(`KBISECT_TEST_TIMEOUT_SEC: '${env.KBISECT_TEST_TIMEOUT_SEC}' is not a whole number of seconds from 1 to 86400`);
  }
  if (typeof config.mailFrom === 'string') {
    try {
      parseAddress(config.mailFrom, 'KBISECT_MAIL_FROM');
    } catch (err) {
      throw new ApiConfigError(err instanceof Error ? err.message : 'KBISECT_MAIL_FROM is not an address');
    }
  }
  if (!Value.Check(ApiConfigSchema, config)) {
    const first = Value.Errors(ApiConfigSchema, config).First();
    throw new ApiConfigError(`api configuration: ${first ? `${first.path} ${first.message}` : 'invalid'}`);
  }
  return config;
}
