import type { CommitGraph } from './commit-graph.js';

export type Verdict = 'good' | 'bad' | 'skip';

/**
 * Where a verdict came from: the bisection's starting points, a probe run, a
 * maintainer, the untestable hook (no build spent), or an imported bisect log.
 */
export type VerdictSource = 'start' | 'probe' | 'manual' | 'untestable' | 'log';

export interface VerdictRecord {
  readonly commit: string;
  readonly verdict: Verdict;
  readonly source: VerdictSource;
  readonly reason?: string;
}

export type BisectStatus = 'running' | 'found' | 'ambiguous' | 'failed' | 'cancelled';

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
  /** The commit waiting to be tested, while running. */
  readonly next?: string;
  readonly culprit?: string;
  /** When ambiguous: the commits any of which could be the first bad one. */
  readonly candidates?: readonly string[];
  readonly error?: string;
}

export type BisectEvent =
  | {
      readonly type: 'verdict';
      readonly commit: string;
      readonly verdict: Verdict;
      readonly reason?: string;
      /** @defaultValue 'probe' */
      readonly source?: 'probe' | 'manual' | 'log';
    }
  | { readonly type: 'untestable'; readonly commits: Readonly<Record<string, string>> }
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
  | 'KBISECT_ERR_INVALID_START';

export type BisectCommand =
  | { readonly type: 'test'; readonly commit: string; readonly progress: Progress }
  | {
      readonly type: 'finished';
      readonly status: Exclude<BisectStatus, 'running'>;
      readonly culprit?: string;
      readonly candidates?: readonly string[];
      readonly error?: string;
    }
  | { readonly type: 'rejected'; readonly code: RejectionCode; readonly message: string };

export interface Step {
  readonly state: BisectState;
  readonly commands: readonly BisectCommand[];
}
