import type { AnsweredStatus } from './answered-status.js';

/**
 * What narrowing an untestable stretch found: the forced answer, given beside
 * the honest one (which stays the bisection's `status`/`candidates`). Forced
 * means the blocking dependency was dropped to build these commits, so the
 * culprit is only as good as a kernel built that way.
 */
export interface NarrowedSummary {
  /** `found`: one forced culprit. `ambiguous`: forced runs too were skipped (e.g. the forced build failed). */
  readonly status: AnsweredStatus;
  readonly culprit?: string;
  readonly candidates?: readonly string[];
  /** The symbols whose blocking dependency was dropped, e.g. CONFIG_TRANSPARENT_HUGEPAGE. */
  readonly forced: readonly string[];
  /** Forced runs (purpose `narrow`). */
  readonly steps: number;
}
