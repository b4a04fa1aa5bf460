import { SandboxSpecError } from './sandbox-errors.js';

/**
 * The whole environment a sandboxed command starts with: nothing of the
 * worker's own (no REDIS_URL, no token or password variables), only these
 * and the caller's variables that pass ALLOWED_NAMES.
 */
export const BASE_ENV: Readonly<Record<string, string>> = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TMPDIR: '/tmp' };

/**
 * What a caller may add: kernel-build knobs (KBUILD_BUILD_TIMESTAMP/USER/HOST
 * keep builds reproducible), ccache's directory and base dir (so the cache is
 * shared and hits across work dirs), the command probe's documented
 * KBISECT_COMMIT / KBISECT_BISECTION, and READ_ONLY_GIT_ENV.
 */
export const ALLOWED_NAMES = /^(KBUILD_[A-Z0-9_]+|CCACHE_(DIR|BASEDIR|NOHASHDIR|SLOPPINESS|MAXSIZE|UMASK)|KBISECT_(COMMIT|BISECTION)|ARCH|CROSS_COMPILE|GIT_CONFIG_(COUNT|KEY_0|VALUE_0))$/;

/**
 * For git inside the sandbox reading a worktree whose repository (the
 * mirror, bound read-only) belongs to the worker: without it git refuses a
 * repository owned by another uid ("dubious ownership"). The mirror's
 * config is kbisect's own (a mirror clone copies no config from its origin).
 */
export const READ_ONLY_GIT_ENV: Readonly<Record<string, string>> = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' };

export function sandboxEnv(extra: Readonly<Record<string, string>>, home: string): Record<string, string> {
  for (const name of Object.keys(extra)) {
    if (!ALLOWED_NAMES.test(name)) throw new SandboxSpecError(`env.${name}`, 'not on the sandbox allow-list (packages/sandbox/README.md)');
  }
  return { ...BASE_ENV, ...extra, HOME: home };
}
