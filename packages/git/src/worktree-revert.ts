import { GitCommandError } from './errors/git-errors.js';
import { gitAt } from './mirror-cache.js';

/**
 * Reverts `culprit` (uncommitted) in an existing worktree, for a revert
 * check; a conflict is reported as a GitCommandError and the tree reset.
 * The caller has checked `culprit` is a full sha.
 */
export async function revertInWorktree(dir: string, culprit: string): Promise<void> {
  const wt = gitAt(dir);
  try {
    await wt.raw(['revert', '--no-commit', '--no-edit', culprit]);
  } catch (err) {
    await wt.raw(['revert', '--abort']).catch(() => undefined);
    throw new GitCommandError('revert', err instanceof Error ? err.message : String(err));
  }
}
