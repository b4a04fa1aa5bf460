import { isFullSha } from '@kbisect/bisect';
import { GitCommandError } from './errors/git-errors.js';

/**
 * Commits reach git's argv here only as full shas (resolved once, at the
 * range's opening): anything else is our bug, never a ref for git to read.
 */
export function assertShas(shas: readonly string[]): void {
  for (const s of shas) if (!isFullSha(s)) throw new GitCommandError('internal', `expected a full sha, got '${s.slice(0, 50)}'`);
}
