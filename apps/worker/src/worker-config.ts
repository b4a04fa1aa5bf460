import { Type, type Static } from '@sinclair/typebox';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { bootHttpConfigFrom, LabConfigError } from '@kbisect/lab';
import { DEFAULT_COMMAND_TIMEOUT_SEC, redisUrlFromEnv, splitEnvList } from '@kbisect/service';

export const WorkerRoleSchema = Type.Union([Type.Literal('orchestrator'), Type.Literal('build'), Type.Literal('test')]);
export type WorkerRole = Static<typeof WorkerRoleSchema>;

export const WorkerConfigSchema = Type.Object({
  redisUrl: Type.String({ minLength: 1 }),
  /** Prefix of every Redis key and queue name. @defaultValue 'kbisect' */
  namespace: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  roles: Type.Array(WorkerRoleSchema, { minItems: 1 }),
  /** Mirrors and worktrees on this host. */
  cacheDir: Type.String({ minLength: 1 }),
  /** Concurrent jobs per role on this process. @defaultValue orchestrator 8, build 1, test 2 */
  concurrency: Type.Object({ orchestrator: Type.Integer({ minimum: 1 }), build: Type.Integer({ minimum: 1 }), test: Type.Integer({ minimum: 1 }) }),
  /** How long a job's lock lives without renewal; after that a stalled job is retried elsewhere. @defaultValue 30000 */
  lockDurationMs: Type.Integer({ minimum: 1000 }),
  /** Per-run timeout for command probes that give none. @defaultValue 3600 */
  defaultTestTimeoutSec: Type.Integer({ minimum: 1 }),
  /** make -j for kernel builds. @defaultValue the number of cores */
  buildJobs: Type.Integer({ minimum: 1, maximum: 256 }),
  /** Size limit of the built-kernel cache (LRU). @defaultValue 20 */
  artifactCacheGb: Type.Number({ exclusiveMinimum: 0 }),
  /** ccache's directory, shared by every build slot (ccache is safe for concurrent use). @defaultValue $CCACHE_DIR, else <cacheDir>/ccache */
  ccacheDir: Type.String({ minLength: 1 }),
  /** The API's request-signing key file (KBISECT_REQUEST_KEY_FILE, mode 0600); without it the worker refuses every bisection (see requireSigned). */
  requestKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Without a request key, whether to refuse every bisection (it cannot check
   * any signature) or to run unsigned kernel probes anyway
   * (KBISECT_REQUIRE_SIGNED=0, logged at error level at start; command probes
   * always need a signature). No effect on a worker with a key.
   * @defaultValue true
   */
  requireSigned: Type.Boolean(),
  /** Whether this worker runs command probes at all (KBISECT_ALLOW_COMMAND_PROBE). @defaultValue false */
  allowCommandProbe: Type.Boolean(),
  /**
   * Whether this worker gives a command probe that asks for it (`probe.network`, signed
   * for a token allowed it) the worker's network (KBISECT_PROBE_NETWORK=allow|deny).
   * @defaultValue false (deny)
   */
  allowProbeNetwork: Type.Boolean(),
  /**
   * Directories a machine's BMC password file, console file and TFTP root must lie under (KBISECT_LAB_ROOTS, ':'-separated absolute paths).
   * @defaultValue the cache dir, /var/lib/kbisect, /srv/tftp and /etc/kbisect
   */
  labRoots: Type.Array(Type.String({ pattern: '^/' }), { minItems: 1 }),
  /** Infrastructure failures in a row that quarantine a lab machine. @defaultValue 3 */
  quarantineAfter: Type.Integer({ minimum: 1, maximum: 100 }),
  /**
   * `on`: kernel builds, command probes and get_maintainer.pl run in the bwrap
   * sandbox (packages/sandbox); a worker where it does not work refuses them.
   * `off`: they run unconfined — only for a deployment where every submitter
   * is trusted; logged at start and written into each step's evidence.
   * @defaultValue 'on'
   */
  sandbox: Type.Union([Type.Literal('on'), Type.Literal('off')]),
  /** The unprivileged system user sandboxed commands run as, when the worker is root. @defaultValue 'kbisect-sandbox' */
  sandboxUser: Type.String({ pattern: '^[a-z_][a-z0-9_-]{0,31}$' }),
  /**
   * Directories command probes may read besides their worktree (a lab's
   * test suites installed on the worker), bound read-only into the sandbox.
   * From KBISECT_PROBE_READ_PATHS, colon-separated absolute paths.
   * @defaultValue none
   */
  probeReadPaths: Type.Array(Type.String({ pattern: '^/' })),
  /**
   * Build ahead (KBISECT_BUILD_AHEAD=on|off): while a kernel is tested, idle
   * build slots build the kernels its good and its bad verdict would ask for
   * next (low priority, dropped once moot). A request's `options.buildAhead:
   * false` turns it off for one bisection.
   * @defaultValue true
   */
  buildAhead: Type.Boolean(),
  /**
   * The HTTP artifact store (KBISECT_STORE_URL) and this worker's credential
   * for it, a file holding the token (KBISECT_STORE_TOKEN_FILE): build workers
   * upload and pin with a `build` one, lab workers download with a `lab` one,
   * the orchestrator releases a bisection's pins with a `build` one.
   * @defaultValue none: build and lab share the cache dir (one host)
   */
  store: Type.Optional(Type.Object({ url: Type.String({ pattern: '^https?://' }), tokenFile: Type.String({ minLength: 1 }) })),
  /** Size limit of the lab worker's own copy of downloaded kernels (LRU; kernels being booted stay). @defaultValue 10 */
  storeCacheGb: Type.Number({ exclusiveMinimum: 0 }),
  /**
   * How often the orchestrator role renews the artifact-store pins of every
   * running bisection (KBISECT_STORE_PIN_RENEW_MINUTES); keep it well under
   * the store's KBISECT_STORE_PIN_TTL_HOURS, so a bisection waiting for a
   * machine keeps the kernels it built.
   * @defaultValue 60
   */
  pinRenewMinutes: Type.Number({ exclusiveMinimum: 0 }),
  /**
   * The test role's boot file server, from which machines with boot method
   * ipxe-http fetch kernel and initramfs through per-boot URLs
   * (KBISECT_BOOT_HTTP_LISTEN `<ip>:<port>`, KBISECT_BOOT_HTTP_HOST, KBISECT_BOOT_TOKEN_TTL_SEC).
   * @defaultValue 127.0.0.1, a port the OS picks, machines reach it as 10.0.2.2 (the virtual lab's view of loopback), URLs live 900 s
   */
  bootHttp: Type.Object({
    listenHost: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65_535 }),
    machineHost: Type.String({ minLength: 1 }),
    tokenTtlSec: Type.Integer({ minimum: 10 }),
  }),
});
export type WorkerConfig = Static<typeof WorkerConfigSchema>;

/** A setting of this worker is wrong or missing: at start it stops the process; met by a job, it ends the bisection with the message (the operator's to fix). */
export class WorkerConfigError extends Error {
  readonly code = 'KBISECT_ERR_WORKER_CONFIG';
  readonly category = 'configuration' as const;
  constructor(message: string) {
    super(message);
    this.name = 'WorkerConfigError';
  }
}

/** Validated once at startup; a bad setting names itself and stops the process. */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv, roles: readonly string[], defaults: { cacheDir: string }): WorkerConfig {
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new WorkerConfigError(`${name}: '${raw}' is not an integer`);
    return n;
  };
  const num = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new WorkerConfigError(`${name}: '${raw}' is not a number`);
    return n;
  };
  const config = {
    redisUrl: redisUrlFromEnv(env),
    namespace: env.KBISECT_NAMESPACE ?? 'kbisect',
    roles: [...roles],
    cacheDir: env.KBISECT_CACHE_DIR ?? defaults.cacheDir,
    concurrency: { orchestrator: int('KBISECT_ORCHESTRATOR_CONCURRENCY', 8), build: int('KBISECT_BUILD_CONCURRENCY', 1), test: int('KBISECT_TEST_CONCURRENCY', 2) },
    lockDurationMs: int('KBISECT_LOCK_DURATION_MS', 30_000),
    defaultTestTimeoutSec: int('KBISECT_TEST_TIMEOUT_SEC', DEFAULT_COMMAND_TIMEOUT_SEC),
    buildJobs: int('KBISECT_BUILD_JOBS', availableParallelism()),
    artifactCacheGb: num('KBISECT_ARTIFACT_CACHE_GB', 20),
    quarantineAfter: int('KBISECT_QUARANTINE_AFTER', 3),
    labRoots: env.KBISECT_LAB_ROOTS ? splitEnvList(env.KBISECT_LAB_ROOTS, ':') : [env.KBISECT_CACHE_DIR ?? defaults.cacheDir, '/var/lib/kbisect', '/srv/tftp', '/etc/kbisect'],
    allowCommandProbe: env.KBISECT_ALLOW_COMMAND_PROBE === '1' || env.KBISECT_ALLOW_COMMAND_PROBE === 'true',
    allowProbeNetwork: env.KBISECT_PROBE_NETWORK === 'allow',
    requireSigned: env.KBISECT_REQUIRE_SIGNED !== '0',
    ...(env.KBISECT_REQUEST_KEY_FILE ? { requestKeyFile: env.KBISECT_REQUEST_KEY_FILE } : {}),
    // Absolute: the sandbox binds it at the same path.
    ccacheDir: resolve(env.CCACHE_DIR ?? join(env.KBISECT_CACHE_DIR ?? defaults.cacheDir, 'ccache')),
    sandbox: env.KBISECT_SANDBOX === undefined || env.KBISECT_SANDBOX === '' ? 'on' : env.KBISECT_SANDBOX,
    sandboxUser: env.KBISECT_SANDBOX_USER ?? 'kbisect-sandbox',
    probeReadPaths: splitEnvList(env.KBISECT_PROBE_READ_PATHS, ':'),
    buildAhead: env.KBISECT_BUILD_AHEAD === undefined || env.KBISECT_BUILD_AHEAD === '' || env.KBISECT_BUILD_AHEAD === 'on',
    ...(env.KBISECT_STORE_URL ? { store: { url: env.KBISECT_STORE_URL, tokenFile: env.KBISECT_STORE_TOKEN_FILE ?? '' } } : {}),
    storeCacheGb: num('KBISECT_STORE_CACHE_GB', 10),
    pinRenewMinutes: num('KBISECT_STORE_PIN_RENEW_MINUTES', 60),
    bootHttp: bootHttpFromEnv(env),
  };
  if (!(config.pinRenewMinutes > 0)) throw new WorkerConfigError(`KBISECT_STORE_PIN_RENEW_MINUTES: '${env.KBISECT_STORE_PIN_RENEW_MINUTES ?? ''}' is not a positive number of minutes`);
  if (config.store && !config.store.tokenFile) throw new WorkerConfigError('KBISECT_STORE_TOKEN_FILE: required with KBISECT_STORE_URL (this worker\'s store credential)');
  // Checked here, not only by the schema, so the error names the variable rather than /labRoots/0.
  if (config.labRoots.length === 0) throw new WorkerConfigError('KBISECT_LAB_ROOTS: no directory given (\':\'-separated absolute paths)');
  for (const p of config.labRoots) if (!isAbsolute(p)) throw new WorkerConfigError(`KBISECT_LAB_ROOTS: '${p}' is not an absolute path`);
  for (const p of config.probeReadPaths) if (!isAbsolute(p) || p.split('/').includes('..')) throw new WorkerConfigError(`KBISECT_PROBE_READ_PATHS: '${p}' is not an absolute path without '..'`);
  if (![undefined, '', 'on', 'off'].includes(env.KBISECT_BUILD_AHEAD)) throw new WorkerConfigError(`KBISECT_BUILD_AHEAD: '${env.KBISECT_BUILD_AHEAD ?? ''}' is neither 'on' nor 'off'`);
  if (![undefined, '', 'allow', 'deny'].includes(env.KBISECT_PROBE_NETWORK)) throw new WorkerConfigError(`KBISECT_PROBE_NETWORK: '${env.KBISECT_PROBE_NETWORK ?? ''}' is neither 'allow' nor 'deny'`);
  if (![undefined, '', '0', '1'].includes(env.KBISECT_REQUIRE_SIGNED)) throw new WorkerConfigError(`KBISECT_REQUIRE_SIGNED: '${env.KBISECT_REQUIRE_SIGNED ?? ''}' is neither '1' nor '0' (0: a worker without a request key runs unsigned kernel probes)`);
  if (config.sandbox !== 'on' && config.sandbox !== 'off') throw new WorkerConfigError(`KBISECT_SANDBOX: '${config.sandbox}' is neither 'on' nor 'off'`);
  if (!Value.Check(WorkerConfigSchema, config)) {
    const first = Value.Errors(WorkerConfigSchema, config).First();
    throw new WorkerConfigError(`worker configuration: ${first ? `${first.path} ${first.message}` : 'invalid'}`);
  }
  return config;
}

function bootHttpFromEnv(env: NodeJS.ProcessEnv): Static<typeof WorkerConfigSchema>['bootHttp'] {
  try {
    return bootHttpConfigFrom({ listen: env.KBISECT_BOOT_HTTP_LISTEN, machineHost: env.KBISECT_BOOT_HTTP_HOST, tokenTtlSec: env.KBISECT_BOOT_TOKEN_TTL_SEC });
  } catch (err) {
    if (err instanceof LabConfigError) throw new WorkerConfigError(err.message);
    throw err;
  }
}
