import type { AnsweredStatus } from './answered-status.js';
import type { CommitGraph } from './commit-graph.js';
import type { EndpointResult } from './endpoint-result.js';
import type { NarrowedSummary } from './narrowed-summary.js';
import type { Policy } from './policy.js';
import type { RunFields, RunRef } from './run-ref.js';

/** `regression`: find the first bad commit. `fix`: find the first commit where the bug is gone (good and bad swapped). */
export type Terms = 'regression' | 'fix';

export type Verdict = 'good' | 'bad' | 'skip';

/**
 * Where a verdict came from: the bisection's starting points, a probe run, a
 * maintainer, the untestable hook (no build spent), or an imported bisect log.
 */
export type VerdictSource = 'start' | 'probe' | 'manual' | 'untestable' | 'log';

/** A verdict on one run (its RunFields; a revert check's record carries what was reverted). */
export interface VerdictRecord extends RunFields {
  /** As the probe or person said it: `bad` means the bug showed. */
  readonly verdict: Verdict;
  readonly source: VerdictSource;
  readonly reason?: string;
  /** The reproducer's numbers and timings, as the probe reported them with this run's verdict. */
  readonly metrics?: Readonly<Record<string, number>>;
}

export interface VerificationSummary {
  /** The culprit must show the bug within the runs. */
  readonly culprit?: { readonly outcome: 'confirmed' | 'refuted'; readonly runs: number; readonly failures: number };
  /** Its parents must not. */
  readonly parents?: { readonly outcome: 'confirmed' | 'refuted'; readonly runs: number; readonly failures: number };
  /** The bad end with the culprit reverted, against the bad end as is. */
  readonly revert?:
    | { readonly outcome: 'fixed' | 'improved' | 'unchanged'; readonly runs: number; readonly failures: number; readonly baselineRuns: number; readonly baselineFailures: number; readonly pValue: number }
    | { readonly outcome: 'unavailable'; readonly reason: string };
}

export type BisectStatus = 'running' | AnsweredStatus | 'failed' | 'cancelled';

/**
 * Everything a bisection is, as plain JSON: store it anywhere, resume it on
 * any host. Derived facts (candidates, weights) are recomputed, never stored.
 */
export interface BisectState {
  readonly schema: 1;
  readonly graph: CommitGraph;
  readonly firstParent: boolean;
  /** The bad commit the bisection started from. */
  readonly bad: string;
  /** The good commits it started from (boundaries of the graph). */
  readonly goods: readonly string[];
  /** Commits known untestable before any build, with the reason. */
  readonly untestable: Readonly<Record<string, string>>;
  /** Every verdict in the order it arrived; the bisection's history. */
  readonly history: readonly VerdictRecord[];
  readonly status: BisectStatus;
  /** @defaultValue deterministic */
  readonly policy?: Policy;
  /** @defaultValue 'regression' */
  readonly terms?: Terms;
  /** Verify a found culprit; with `revert`, also test the bad end with it reverted. */
  readonly verify?: { readonly revert: boolean };
  /** Test the good and bad ends before the first step. */
  readonly checkEndpoints?: boolean;
  /**
   * `untestable: narrow`: when the answer is ambiguous because of untestable
   * commits, bisect among the candidates with `narrow` runs, built with these
   * symbols' blocking dependency dropped.
   */
  readonly narrow?: { readonly forced: readonly string[] };
  /** What narrowing found (forced), beside the honest answer. */
  readonly narrowed?: NarrowedSummary;
  /** What the endpoint check found, once it is done. */
  readonly endpoints?: readonly EndpointResult[];
  /** The commit waiting to be tested, while running. */
  readonly next?: string;
  /** The run waiting for its verdict (`next`, why, which run, and for a revert check what to revert on top of it). */
  readonly pending?: RunRef;
  /** Most bisect runs in flight at once (multisection); 1 or unset walks git's exact path. */
  readonly parallel?: number;
  /** With `parallel`: the bisect runs handed out and still useful, in the order they were handed out. */
  readonly inFlight?: readonly RunRef[];
  /** Runs handed out and then cancelled as moot; a verdict that lands for one anyway is still recorded. */
  readonly moot?: readonly RunRef[];
  /** Posterior probability of the answer (flaky policies), or of the credible set when ambiguous. */
  readonly confidence?: number;
  /** The most likely first bad commits with their posterior (bayes). */
  readonly posterior?: readonly { readonly commit: string; readonly probability: number }[];
  readonly verification?: VerificationSummary;
  readonly culprit?: string;
  /** When ambiguous: the commits any of which could be the first bad one. */
  readonly candidates?: readonly string[];
  readonly error?: string;
}

export type BisectEvent =
  | (RunFields & {
      readonly type: 'verdict';
      readonly verdict: Verdict;
      readonly reason?: string;
      /** @defaultValue 'probe' */
      readonly source?: 'probe' | 'manual' | 'log';
      readonly metrics?: Readonly<Record<string, number>>;
    })
  | { readonly type: 'revert-unavailable'; readonly reason: string }
  | { readonly type: 'untestable'; readonly commits: Readonly<Record<string, string>> }
  /** How many bisect runs may be in flight from now on (the ready machines); in-flight runs are never cut. */
  | { readonly type: 'parallel'; readonly k: number }
  | { readonly type: 'cancel'; readonly reason?: string }
  | { readonly type: 'fail'; readonly reason: string };

export interface Progress {
  /** Commits that may still be the first bad one (skipped ones included, as git counts). */
  readonly candidatesLeft: number;
  /** Of those, the ones not skipped or untestable. */
  readonly testableLeft: number;
  /** git's estimate of tests still needed after this one. */
  readonly stepsLeft: number;
  /** Commits tested so far by a probe or a maintainer. */
  readonly tested: number;
}

export type RejectionCode =
  | 'KBISECT_ERR_NOT_RUNNING'
  | 'KBISECT_ERR_UNKNOWN_COMMIT'
  | 'KBISECT_ERR_CONFLICTING_VERDICT'
  | 'KBISECT_ERR_CONTRADICTS_HISTORY'
  | 'KBISECT_ERR_INVALID_GRAPH'
  | 'KBISECT_ERR_INVALID_START'
  | 'KBISECT_ERR_INVALID_POLICY'
  | 'KBISECT_ERR_INVALID_PARALLEL';

export type BisectCommand =
  | (RunFields & { readonly type: 'test'; readonly progress: Progress })
  /** Stop a run handed out earlier (build and boot): a verdict that landed since made it moot. */
  | (RunFields & { readonly type: 'cancel-test'; readonly reason: string })
  | {
      readonly type: 'finished';
      readonly status: Exclude<BisectStatus, 'running'>;
      readonly culprit?: string;
      readonly candidates?: readonly string[];
      readonly error?: string;
      /** The forced answer of `untestable: narrow`, beside the honest one. */
      readonly narrowed?: NarrowedSummary;
    }
  | { readonly type: 'rejected'; readonly code: RejectionCode; readonly message: string };

export interface Step {
  readonly state: BisectState;
  readonly commands: readonly BisectCommand[];
}
