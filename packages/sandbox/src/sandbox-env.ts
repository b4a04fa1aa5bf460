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
 * shared and hits across work dirs), and the command probe's documented
 * KBISECT_COMMIT / KBISECT_BISECTION.
 */
export const ALLOWED_NAMES = /^(KBUILD_[A-Z0-9_]+|CCACHE_(DIR|BASEDIR|NOHASHDIR|SLOPPINESS|MAXSIZE|UMASK)|KBISECT_(COMMIT|BISECTION)|ARCH|CROSS_COMPILE)$/;

export function sandboxEnv(extra: Readonly<Record<string, string>>, home: string): Record<string, string> {
  for (const name of Object.keys(extra)) {
    if (!ALLOWED_NAMES.test(name)) throw new SandboxSpecError(`env.${name}`, 'not on the sandbox allow-list (packages/sandbox/README.md)');
  }
  return { ...BASE_ENV, ...extra, HOME: home };
}
