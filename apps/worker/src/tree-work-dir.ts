import { join } from 'node:path';
import { mirrorIdOf, validateRepoSource } from '@kbisect/git';

/**
 * Where a build slot keeps its worktree and build dirs for one repository:
 * `<slot>/trees/<mirror id>`. A worktree belongs to the mirror that made it
 * (a second tree's commits are "not a tree" there), so each tree a slot builds
 * gets its own, and each stays incremental however trees alternate.
 */
export function treeWorkDir(slotDir: string, repo: string): string {
  return join(slotDir, 'trees', mirrorIdOf(validateRepoSource(repo, 'repo')));
}
