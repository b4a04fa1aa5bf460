import type { Checkout } from '@kbisect/git';
import type { BuildTree } from '@kbisect/kbuild';
import type { RangeGit } from '@kbisect/service/driver';
import type { MaintainerRepo } from './maintainers.js';

/** The git operations workers need (kernel builds included); @kbisect/git's GitRepo provides them, tests may fake them. */
export interface WorkerRepo extends RangeGit, BuildTree, MaintainerRepo {
  commitInfo(shas: readonly string[]): Promise<ReadonlyMap<string, { readonly subject: string; readonly authorName: string; readonly authorEmail: string; readonly authorDate: string }>>;
  /** One worktree at `dir`, moved from commit to commit (nothing is written until its first checkout). */
  openCheckout(dir: string): Checkout;
  revertInWorktree(dir: string, culprit: string): Promise<void>;
  readFileAt(sha: string, path: string): Promise<string | null>;
  findSymbolFiles(sha: string, names: readonly string[]): Promise<Map<string, string>>;
  blobIdsAt(commits: readonly string[], paths: readonly string[]): Promise<Map<string, readonly (string | null)[]>>;
  readBlobs(ids: readonly string[]): Promise<Map<string, string>>;
}

export type OpenRepo = (source: string) => Promise<WorkerRepo>;
