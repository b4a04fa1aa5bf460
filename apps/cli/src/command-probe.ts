import { execa } from 'execa';
import { verdictFromExit, type ProbeOutcome } from '@kbisect/bisect';

export interface CommandProbeOptions {
  /** The shell command, run with `/bin/sh -c` in the commit's worktree. */
  readonly command: string;
  /** Where the command's output goes; inherits the terminal when unset (as `git bisect run` does). */
  readonly output?: 'inherit' | 'stderr';
}

export interface Probe {
  /** `signal`: stop the command (a run made moot); its outcome is then not used. */
  test(commit: string, worktree: string, signal?: AbortSignal): Promise<ProbeOutcome>;
}

/**
 * The `command` probe: the user's own shell command, run locally. The command
 * is the user's by definition (they typed it); only commit ids reach it, as
 * environment variables, never spliced into the string.
 */
export function commandProbe(opts: CommandProbeOptions): Probe {
  return {
    async test(commit, worktree, signal) {
      const child = execa('/bin/sh', ['-c', opts.command], {
        // A run that can be made moot gets its own process group, so stopping
        // it stops everything the command started, not only the shell: nothing
        // may keep running in a worktree the next test is about to use.
        ...(signal ? { detached: true } : {}),
        cwd: worktree,
        reject: false,
        stdin: 'ignore',
        stdout: opts.output === 'stderr' ? 2 : 'inherit',
        stderr: 'inherit',
        env: { KBISECT_COMMIT: commit, GIT_DIR: undefined, GIT_WORK_TREE: undefined },
      });
      const result = signal && child.pid !== undefined ? await stoppable(child, child.pid, signal) : await child;
      if (result.failed && result.exitCode === undefined && result.signal === undefined) {
        return { kind: 'abort', reason: `test command could not start: ${result.shortMessage}` };
      }
      return verdictFromExit(result.exitCode, result.signal);
    },
  };
}

const groups = new Set<number>();
// The run's own exit (the end, Ctrl-C, a kill) takes every test group with it.
process.on('exit', () => {
  for (const pgid of groups) killGroup(pgid);
});

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function stoppable<T>(child: PromiseLike<T>, pgid: number, signal: AbortSignal): Promise<T> {
  groups.add(pgid);
  const stop = (): void => killGroup(pgid);
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    return await child;
  } finally {
    signal.removeEventListener('abort', stop);
    groups.delete(pgid);
  }
}
