import type { CommitGraph, ProbeOutcome, Progress, RunPurpose, Verdict } from '@kbisect/bisect';
import type { Checkout } from '@kbisect/git';
import type { BisectionOptions } from '@kbisect/service';
import type { ImportedMark, RangeGit } from '@kbisect/service/driver';

/** The git operations a local bisection needs: opening the range, as the service opens it. */
export type RunGit = RangeGit;

export interface RunReporter {
  stepStarted(step: number, commit: string, subject: string | undefined, progress: Progress, note?: string): void;
  stepFinished(step: number, commit: string, verdict: Verdict, reason: string): void;
  autoSkipped(commit: string, reason: string): void;
  /** A run in flight (`--parallel`) stopped because a verdict made it moot. */
  stepCancelled?(step: number, commit: string, reason: string): void;
}

/**
 * The request options a local run takes: the same fields the API takes, so
 * `run` and the service turn them into engine parameters with one function
 * (startParams). Left out: what only a queue needs (retries, priority) and
 * requireConfig, which a run applies through `untestable`/`narrow` below.
 */
export type RunOptions = Omit<BisectionOptions, 'retries' | 'priority' | 'requireConfig'>;

export interface RunRequest {
  readonly id: string;
  /** The ends as the user names them: for `terms: 'fix'`, `badRef` has the bug and the one good is later. */
  readonly goodRefs: readonly string[];
  readonly badRef: string;
  /** @defaultValue `{}`: deterministic, full graph, no endpoint check (run follows `git bisect run`) */
  readonly options?: RunOptions;
  /** Marks from an imported `git bisect log`, already resolved to shas. */
  readonly imported?: readonly ImportedMark[];
  /** Commits known untestable before any build, with reasons. */
  readonly untestable?: (graph: CommitGraph, bad: string, goods: readonly string[]) => Promise<Readonly<Record<string, string>>>;
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
  /** Further worktrees for `options.maxParallel` runs (one fewer than it); their owner disposes of them too. */
  readonly moreCheckouts?: readonly Checkout[];
  /** `signal` aborts a run made moot (the probe stops its process). */
  readonly probe: { test(commit: string, worktree: string, signal?: AbortSignal): Promise<ProbeOutcome> };
  readonly reporter: RunReporter;
}
