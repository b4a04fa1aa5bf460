import { deriveBounds, type Bounds } from './bounds.js';
import { computeCandidates } from './candidates.js';
import { isBisectRun, runKey, type RunRef } from './run-ref.js';
import type { GraphIndex } from './graph-index.js';
import { chooseParallel } from './parallel-choice.js';
import { estimateBisectSteps } from './progress.js';
import type { BisectState, Progress, VerdictRecord } from './state.js';
import { computeWeights } from './weights.js';

/** Most tests one bisection keeps in flight. */
export const MAX_PARALLEL = 64;

/** What the multisection search wants next: runs to start and runs made moot, or the answer. */
export type ParallelSearch =
  | {
      readonly kind: 'test';
      readonly start: readonly RunRef[];
      readonly cancel: readonly RunRef[];
      /** Everything in flight after this step (the kept runs and the new ones). */
      readonly inFlight: readonly RunRef[];
      readonly progress: Progress;
    }
  | { readonly kind: 'done'; readonly cancel: readonly RunRef[]; readonly state: BisectState };

/**
 * k-way search for deterministic verdicts: keep up to `state.parallel` bisect
 * runs in flight, each new one placed by {@link chooseParallel} among the
 * ones still useful. Verdicts arrive in any order; the bounds come from the
 * whole history each time (as git's refs would), so a run whose commit has
 * left the candidates is moot and is cancelled. The answer is git's kind of
 * answer — found when only the bad commit is left, ambiguous when only
 * skipped or untestable commits are left beside it — but, with skips, the set
 * can differ from the one git's single path would have left.
 */
export function searchParallel(state: BisectState, index: GraphIndex): ParallelSearch {
  const shas = state.graph.commits;
  const bounds = deriveBounds(state, index);
  const candidates = computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
  const tested = new Set(state.history.filter((r) => r.source !== 'start' && isBisectRun(r)).map((r) => r.commit));
  const keep: RunRef[] = [];
  const cancel: RunRef[] = [];
  // Switching from one run at a time: the run waiting for its verdict is in flight too.
  const handedOut = state.inFlight ?? (state.pending?.purpose === 'bisect' ? [state.pending] : []);
  for (const ref of handedOut) {
    if (tested.has(ref.commit)) continue;
    const c = index.indexOf.get(ref.commit);
    const useful = c !== undefined && c !== bounds.bad && candidates.mask[c] === 1;
    (useful ? keep : cancel).push(ref);
  }
  const excluded = notToRun(state, index, bounds);
  const testable = candidates.list.filter((c) => c !== bounds.bad && !excluded.has(c));
  if (testable.length === 0) return exhausted(state, candidates.list, bounds, cancel);
  const keptIdx = keep.map((r) => index.indexOf.get(r.commit)!);
  for (const c of keptIdx) excluded.add(c);
  const slots = Math.max(0, (state.parallel ?? 1) - keep.length);
  const weights = computeWeights(index, candidates, state.firstParent);
  const picks = chooseParallel({ candidates, weights, bad: bounds.bad, excluded, inFlight: keptIdx, slots });
  const start = picks.map((c): RunRef => ({ commit: shas[c]!, purpose: 'bisect', run: 0 }));
  const progress: Progress = {
    candidatesLeft: candidates.list.length,
    testableLeft: testable.length,
    stepsLeft: roundsLeft(testable.length, state.parallel ?? 1),
    tested: state.history.filter((r) => r.source === 'probe' || r.source === 'manual').length,
  };
  return { kind: 'test', start, cancel, inFlight: [...keep, ...start], progress };
}

/** Candidates no run may go to: skipped, or known untestable. */
export function notToRun(state: BisectState, index: GraphIndex, bounds: Bounds): Set<number> {
  const excluded = new Set<number>(bounds.skipped);
  for (const sha of Object.keys(state.untestable)) {
    const c = index.indexOf.get(sha);
    if (c !== undefined) excluded.add(c);
  }
  return excluded;
}

/**
 * The answer once no candidate is left to test: found when only the bad
 * commit is left, ambiguous when skipped or untestable ones are left beside
 * it; the runs still in flight are cancelled.
 */
export function exhausted(state: BisectState, list: Int32Array, bounds: Bounds, cancel: readonly RunRef[]): Extract<ParallelSearch, { kind: 'done' }> {
  const shas = state.graph.commits;
  const { next: _n, pending: _p, inFlight: _f, culprit: _c, candidates: _a, ...rest } = state;
  const moot = [...(state.moot ?? []), ...cancel];
  const base = { ...rest, history: withUntestable(state, list, bounds.skipped), ...(moot.length > 0 ? { moot } : {}) };
  if (list.length === 1) return { kind: 'done', cancel, state: { ...base, status: 'found', culprit: shas[bounds.bad]! } };
  return { kind: 'done', cancel, state: { ...base, status: 'ambiguous', candidates: Array.from(list, (c) => shas[c]!) } };
}

/** Rounds of k tests still needed, as git's estimate is for one: about log_{k+1} of what is left. */
export function roundsLeft(testable: number, k: number): number {
  if (k <= 1) return estimateBisectSteps(testable + 1);
  return testable <= k ? 0 : Math.ceil(Math.log(testable + 1) / Math.log(k + 1)) - 1;
}

/** A verdict on a run the search handed out and then found moot (or still has in flight). */
export function isOutstanding(state: BisectState, key: string): boolean {
  return (state.inFlight ?? []).some((r) => runKey(r) === key) || (state.moot ?? []).some((r) => runKey(r) === key);
}

// An ambiguous answer names untestable candidates; as on git's path, they are
// recorded as skipped (no build spent) so the verdicts explain the set.
function withUntestable(state: BisectState, list: Int32Array, skipped: ReadonlySet<number>): VerdictRecord[] {
  const history = [...state.history];
  for (const c of list) {
    const sha = state.graph.commits[c]!;
    const reason = state.untestable[sha];
    if (reason !== undefined && !skipped.has(c)) history.push({ commit: sha, verdict: 'skip', source: 'untestable', reason: `untestable: ${reason}` });
  }
  return history;
}
