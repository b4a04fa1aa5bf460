/**
 * How test runs become decisions. A reproducer that fails only some of the
 * time makes one pass weak evidence; these policies say how much to trust it.
 */
export type Policy =
  /** One run decides, as `git bisect run` does. */
  | { readonly kind: 'deterministic' }
  /** ktest/syzbot style: bad after `badAfter` failing runs, good after `goodAfter` clean ones. */
  | { readonly kind: 'repeat'; readonly badAfter: number; readonly goodAfter: number }
  /** A posterior over the first bad commit; the next run is the one expected to teach the most. */
  | {
      readonly kind: 'bayes';
      /** Stop when one commit holds this much posterior. @defaultValue 0.99 */
      readonly confidence: number;
      /** Run budget, all commits together. @defaultValue 300 */
      readonly maxRuns: number;
      /** Chance one run on a bad commit shows the bug; estimated from runs at the bad end when unset. */
      readonly detection?: number;
      /** Chance one run on a good commit shows the bug anyway. @defaultValue 0 */
      readonly falsePositive: number;
    };

export type PolicyInput =
  | { readonly kind: 'deterministic' }
  | { readonly kind: 'repeat'; readonly badAfter?: number; readonly goodAfter?: number }
  | { readonly kind: 'bayes'; readonly confidence?: number; readonly maxRuns?: number; readonly detection?: number; readonly falsePositive?: number };

/** Fills in defaults; returns a message naming the field when a value is out of range. */
export function normalizePolicy(input: PolicyInput | undefined): Policy | string {
  if (!input || input.kind === 'deterministic') return { kind: 'deterministic' };
  if (input.kind === 'repeat') {
    const badAfter = input.badAfter ?? 1;
    const goodAfter = input.goodAfter ?? 10;
    if (!Number.isInteger(badAfter) || badAfter < 1 || badAfter > 1000) return 'policy.badAfter must be an integer from 1 to 1000';
    if (!Number.isInteger(goodAfter) || goodAfter < 1 || goodAfter > 1000) return 'policy.goodAfter must be an integer from 1 to 1000';
    return { kind: 'repeat', badAfter, goodAfter };
  }
  const confidence = input.confidence ?? 0.99;
  const maxRuns = input.maxRuns ?? 300;
  const falsePositive = input.falsePositive ?? 0;
  if (!(confidence > 0.5 && confidence < 1)) return 'policy.confidence must be between 0.5 and 1 (exclusive)';
  if (!Number.isInteger(maxRuns) || maxRuns < 1 || maxRuns > 100_000) return 'policy.maxRuns must be an integer from 1 to 100000';
  if (input.detection !== undefined && !(input.detection > 0 && input.detection <= 1)) return 'policy.detection must be in (0, 1]';
  if (!(falsePositive >= 0 && falsePositive < 0.5)) return 'policy.falsePositive must be in [0, 0.5)';
  return { kind: 'bayes', confidence, maxRuns, falsePositive, ...(input.detection !== undefined ? { detection: input.detection } : {}) };
}

/** Runs needed so that a commit that shows the bug with probability `detection` is caught with `confidence`. */
export function runsForConfidence(detection: number, confidence: number): number {
  if (detection >= 1) return 1;
  return Math.max(1, Math.ceil(Math.log(1 - confidence) / Math.log(1 - detection)));
}
