import { execa } from 'execa';
import { READ_ONLY_GIT_ENV, type Sandbox, type SandboxIsolation } from '@kbisect/sandbox';
import { forgetGroup, recordGroup } from './build-process-group.js';

export interface MakeRun {
  readonly exitCode?: number;
  readonly signal?: string;
  readonly timedOut: boolean;
  /** Stopped through `signal`: the whole process tree was killed. */
  readonly cancelled?: true;
  /** Capped: the first and last MiB (packages/sandbox's CappedOutput), like the log file. */
  readonly output: string;
  readonly isolation: SandboxIsolation;
}

export interface MakeOptions {
  readonly srcDir: string;
  readonly outDir: string;
  readonly cc: string;
  /** Runs make: the tree's Makefile is the submitter's code. */
  readonly sandbox: Sandbox;
  /** The repository of srcDir's worktree, bound read-only: scripts/setlocalversion asks git for the kernel release. */
  readonly gitDir?: string;
  readonly jobs?: number;
  readonly timeoutMs: number;
  /** CCACHE_DIR / CCACHE_BASEDIR (the sandbox's allow-list); CCACHE_DIR is bound writable. */
  readonly env?: Readonly<Record<string, string>>;
  /** Writable besides outDir and CCACHE_DIR (modules_install's staging dir). */
  readonly writable?: readonly string[];
  readonly logFile?: string;
  readonly compatArgs?: readonly string[];
  readonly groupFile?: string;
  /** Aborting kills make and everything it started (a build made moot). */
  readonly signal?: AbortSignal;
}

/**
 * `make` in a kernel tree with an out-of-tree build directory, in the
 * sandbox: the source tree read-only (kbuild with O= writes only there),
 * the build dir and ccache writable, at the same paths as outside so
 * ccache's hashes (CCACHE_BASEDIR) and make's recorded commands match every
 * other build. CC is passed the same way every time: the kernel records
 * each compile command, and a change (say `gcc` vs `ccache gcc`) rebuilds
 * everything; `compatArgs` (make-compat.ts) keep old kernels' records
 * readable by today's make.
 */
export async function runMake(targets: readonly string[], opts: MakeOptions): Promise<MakeRun> {
  const args = ['-C', opts.srcDir, `O=${opts.outDir}`, 'ARCH=x86_64', `CC=${opts.cc}`, `HOSTCC=gcc`, ...(opts.compatArgs ?? []), ...(opts.jobs ? [`-j${opts.jobs}`] : []), ...targets];
  const ccacheDir = opts.env?.CCACHE_DIR;
  let pgid: number | undefined;
  const r = await opts.sandbox.run({
    argv: ['make', ...args],
    cwd: opts.outDir,
    readOnly: [opts.srcDir, ...(opts.gitDir ? [opts.gitDir] : [])],
    writable: [opts.outDir, ...(ccacheDir ? [ccacheDir] : []), ...(opts.writable ?? [])],
    env: { ...opts.env, ...(opts.gitDir ? READ_ONLY_GIT_ENV : {}), KBUILD_BUILD_TIMESTAMP: '@0', KBUILD_BUILD_USER: 'kbisect', KBUILD_BUILD_HOST: 'kbisect' },
    timeoutMs: opts.timeoutMs,
    limits: { processes: 4096 },
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    // Recorded so the next build in this work dir can kill it if this worker dies mid-build.
    onStart: async (pid) => {
      pgid = pid;
      if (opts.groupFile) await recordGroup(opts.groupFile, pid);
    },
  });
  if (pgid !== undefined && opts.groupFile) await forgetGroup(opts.groupFile, pgid);
  return { ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), ...(r.signal ? { signal: r.signal } : {}), timedOut: r.stopped === 'timed-out', ...(r.stopped === 'cancelled' ? { cancelled: true as const } : {}), output: r.output, isolation: r.isolation };
}

/** GNU make's version here, asked once per process (the host's make, no tree involved). */
let makeVersionOutput: Promise<string> | undefined;
export function makeVersionText(): Promise<string> {
  makeVersionOutput ??= execa('make', ['--version'], { reject: false }).then((r) => String(r.stdout));
  return makeVersionOutput;
}
