import type { CommitGraph, PolicyInput, ProbeOutcome, Progress, RunPurpose, Terms, Verdict } from '@kbisect/bisect';
import type { Checkout } from '@kbisect/git';

/** The git operations a local bisection needs; GitRepo provides them, tests may fake them. */
export interface RunGit {
  resolveCommit(ref: string, field: string): Promise<string>;
  /** The merge bases to test first when a good is not an ancestor of bad (throws when the ends are swapped). */
  mergeBasesToCheck(bad: string, goods: readonly string[], goodRefs?: readonly string[]): Promise<string[]>;
  readGraph(bad: string, goods: readonly string[]): Promise<CommitGraph>;
}

export interface RunReporter {
  stepStarted(step: number, commit: string, subject: string | undefined, progress: Progress, note?: string): void;
  stepFinished(step: number, commit: string, verdict: Verdict, reason: string): void;
  autoSkipped(commit: string, reason: string): void;
}

export interface RunRequest {
  readonly id: string;
  readonly goodRefs: readonly string[];
  readonly badRef: string;
  readonly firstParent: boolean;
  /** Marks from an imported `git bisect log`, already resolved to shas. */
  readonly imported?: readonly { readonly commit: string; readonly verdict: Verdict }[];
  /** Commits known untestable before any build, with reasons. */
  readonly untestable?: (graph: CommitGraph, bad: string, goods: readonly string[]) => Promise<Readonly<Record<string, string>>>;
  /** @defaultValue deterministic */
  readonly policy?: PolicyInput;
  /** @defaultValue 'regression' */
  readonly terms?: Terms;
  readonly verify?: { readonly revert: boolean };
  /** Test the ends before the first step. @defaultValue false (run follows `git bisect run`) */
  readonly checkEndpoints?: boolean;
  /**
   * Changes the worktree before the test (e.g. `untestable: force` dropping a
   * BROKEN dependency, or `narrow` doing it for `narrow` runs only); what it
   * returns is recorded in the verdict's reason.
   */
  readonly prepareWorktree?: (dir: string, purpose: RunPurpose) => Promise<readonly string[]>;
  /** `untestable: narrow`: narrow an ambiguous answer with forced runs of these symbols. */
  readonly narrow?: { readonly forced: readonly string[] };
}

export interface RunDeps {
  readonly git: RunGit;
  /** The bisection's one worktree, moved from commit to commit (cleaned each step); its owner disposes of it. */
  readonly checkout: Checkout;
  readonly probe: { test(commit: string, worktree: string): Promise<ProbeOutcome> };
  readonly reporter: RunReporter;
}
