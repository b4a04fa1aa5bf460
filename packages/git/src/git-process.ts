import { execa } from 'execa';
import { GitCommandError } from './errors/git-errors.js';
import { SAFE_CONFIG } from './mirror-cache.js';

/** The safe config as `-c` options, for git run without simple-git. */
export const SAFE_CONFIG_ARGS: readonly string[] = SAFE_CONFIG.flatMap((c) => ['-c', c]);

/** A checkout or clean of a kernel tree takes seconds; one that takes this long is hung. */
const HOT_GIT_TIMEOUT_MS = 10 * 60_000;

/**
 * Runs one git command of a step's hot path (the reusable checkout's clean and
 * checkout) and returns its stdout; a failure throws GitCommandError with
 * git's stderr. Not through simple-git: after a command that printed nothing
 * (`checkout --quiet`, `clean -q`) it waits a fixed 50 ms before resolving
 * (its completion plugin), a third of a kernel-tree step (bench/run-vs-git.ts).
 * Argument arrays only; no shell.
 */
export async function runHotGit(what: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await execa('git', [...SAFE_CONFIG_ARGS, ...args], {
    cwd,
    reject: false,
    stdin: 'ignore',
    timeout: HOT_GIT_TIMEOUT_MS,
    // The explicit --git-dir/--work-tree decide; an inherited index file must not.
    env: { GIT_INDEX_FILE: undefined, GIT_DIR: undefined, GIT_WORK_TREE: undefined },
  });
  if (result.failed) throw new GitCommandError(what, (result.stderr ?? '').trim() || (result.shortMessage ?? `exit code ${String(result.exitCode)}`));
  return result.stdout ?? '';
}
