import { execa } from 'execa';
import { verdictFromExit, type ProbeOutcome } from '@kbisect/bisect';

export interface CommandProbeOptions {
  /** The shell command, run with `/bin/sh -c` in the commit's worktree. */
  readonly command: string;
  /** Where the command's output goes; inherits the terminal when unset (as `git bisect run` does). */
  readonly output?: 'inherit' | 'stderr';
}

export interface Probe {
  test(commit: string, worktree: string): Promise<ProbeOutcome>;
}

/**
 * The `command` probe: the user's own shell command, run locally. The command
 * is the user's by definition (they typed it); only commit ids reach it, as
 * environment variables, never spliced into the string.
 */
export function commandProbe(opts: CommandProbeOptions): Probe {
  return {
    async test(commit, worktree) {
      const result = await execa('/bin/sh', ['-c', opts.command], {
        cwd: worktree,
        reject: false,
        stdin: 'ignore',
        stdout: opts.output === 'stderr' ? 2 : 'inherit',
        stderr: 'inherit',
        env: { KBISECT_COMMIT: commit, GIT_DIR: undefined, GIT_WORK_TREE: undefined },
      });
      if (result.failed && result.exitCode === undefined && result.signal === undefined) {
        return { kind: 'abort', reason: `test command could not start: ${result.shortMessage}` };
      }
      return verdictFromExit(result.exitCode, result.signal);
    },
  };
}
