import type { CommitGraph } from '@kbisect/bisect';
import type { BuildTree } from '@kbisect/kbuild';
import type { MaintainerRepo } from './maintainers.js';

/** The git operations workers need (kernel builds included); @kbisect/git's GitRepo provides them, tests may fake them. */
export interface WorkerRepo extends BuildTree, MaintainerRepo {
  resolveCommit(ref: string, field: string): Promise<string>;
  mergeBasesToCheck(bad: string, goods: readonly string[], goodRefs?: readonly string[]): Promise<string[]>;
  readGraph(bad: string, goods: readonly string[]): Promise<CommitGraph>;
  commitInfo(shas: readonly string[]): Promise<ReadonlyMap<string, { readonly subject: string; readonly authorName: string; readonly authorEmail: string; readonly authorDate: string }>>;
  addWorktree(sha: string, dir: string): Promise<{ remove(): Promise<void> }>;
  revertInWorktree(dir: string, culprit: string): Promise<void>;
  readFileAt(sha: string, path: string): Promise<string | null>;
  findSymbolFiles(sha: string, names: readonly string[]): Promise<Map<string, string>>;
  blobIdsAt(commits: readonly string[], paths: readonly string[]): Promise<Map<string, readonly (string | null)[]>>;
  readBlobs(ids: readonly string[]): Promise<Map<string, string>>;
}

export type OpenRepo = (source: string) => Promise<WorkerRepo>;
