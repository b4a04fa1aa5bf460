import { createWriteStream } from 'node:fs';
import { execa } from 'execa';
import { forgetGroup, killGroup, recordGroup } from './build-process-group.js';

export interface MakeRun {
  readonly exitCode?: number;
  readonly signal?: string;
  readonly timedOut: boolean;
  readonly output: string;
}

/**
 * `make` in a kernel tree with an out-of-tree build directory. CC is passed
 * the same way every time: the kernel records each compile command, and a
 * change (say `gcc` vs `ccache gcc`) rebuilds everything; `compatArgs`
 * (make-compat.ts) keep old kernels' records readable by today's make.
 */
export async function runMake(targets: readonly string[], opts: { srcDir: string; outDir: string; cc: string; jobs?: number; timeoutMs: number; env?: Record<string, string>; logFile?: string; compatArgs?: readonly string[]; groupFile?: string }): Promise<MakeRun> {
  const args = ['-C', opts.srcDir, `O=${opts.outDir}`, 'ARCH=x86_64', `CC=${opts.cc}`, `HOSTCC=gcc`, ...(opts.compatArgs ?? []), ...(opts.jobs ? [`-j${opts.jobs}`] : []), ...targets];
  // A group of its own: a timeout kills make and every compiler it started.
  const child = execa('make', args, { all: true, reject: false, detached: true, env: { ...opts.env, KBUILD_BUILD_TIMESTAMP: '@0', KBUILD_BUILD_USER: 'kbisect', KBUILD_BUILD_HOST: 'kbisect' }, stdin: 'ignore' });
  const pgid = child.pid;
  if (pgid !== undefined && opts.groupFile) await recordGroup(opts.groupFile, pgid);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (pgid !== undefined) killGroup(pgid);
  }, opts.timeoutMs);
  if (opts.logFile) child.all?.pipe(createWriteStream(opts.logFile, { flags: 'a' }));
  const r = await child;
  clearTimeout(timer);
  if (pgid !== undefined && opts.groupFile) await forgetGroup(opts.groupFile, pgid);
  return { ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), ...(r.signal ? { signal: r.signal } : {}), timedOut, output: typeof r.all === 'string' ? r.all : '' };
}

/** GNU make's version here, asked once per process. */
let makeVersionOutput: Promise<string> | undefined;
export function makeVersionText(): Promise<string> {
  makeVersionOutput ??= execa('make', ['--version'], { reject: false }).then((r) => String(r.stdout));
  return makeVersionOutput;
}
