import type { CandidateSet } from './candidates.js';
import type { GraphIndex } from './graph-index.js';
import { bayesPosterior, credibleSet, probeRuns, type BayesPolicy, type Ranked } from './bayes-posterior.js';
import { freshRun } from './fresh-run.js';
import { isBisectRun } from './run-ref.js';
import type { BisectState } from './state.js';
import { ancestorSums } from './weights.js';

export type BayesOutcome =
  | { readonly kind: 'calibrate'; readonly commit: string; readonly run: number }
  | { readonly kind: 'test'; readonly commit: number; readonly run: number; readonly support: number }
  | { readonly kind: 'found'; readonly commit: number; readonly confidence: number; readonly posterior: readonly Ranked[] }
  | { readonly kind: 'ambiguous'; readonly commits: readonly number[]; readonly confidence: number; readonly posterior: readonly Ranked[] }
  | { readonly kind: 'failed'; readonly error: string };

/** Below this expected gain (nats) no test can tell the remaining candidates apart. */
export const MIN_GAIN = 1e-9;

/**
 * Bayesian bisection for flaky reproducers, one run at a time (the posterior
 * is {@link bayesPosterior}'s). The next run goes where the expected
 * information gain is largest, computed exactly from two weighted-ancestor
 * sums (posterior mass and mass·log mass below each commit), so the choice
 * costs O(range) per run, merges included.
 */
export function chooseBayes(state: BisectState, index: GraphIndex, policy: BayesPolicy): BayesOutcome {
  const view = bayesPosterior(state, index, policy);
  // After runs in parallel (k lowered to 1) a count of verdicts may name a run already handed out.
  if (view.kind === 'calibrate') return { kind: 'calibrate', commit: view.anchor, run: Math.max(view.runs, freshRun(state, view.anchor, 'calibrate')) };
  if (view.kind !== 'ready') return view;
  const best = view.used >= policy.maxRuns ? undefined : bestTest(state, index, view.candidates, view.w, view.qNew, view.qOld);
  if (best === undefined) return credibleSet(view.ranked, policy.confidence, view.top);
  const sha = index.graph.commits[best]!;
  const run = Math.max(probeRuns(state).filter((r) => r.commit === sha && isBisectRun(r)).length, freshRun(state, sha, 'bisect'));
  return { kind: 'test', commit: best, run, support: view.ranked.filter((r) => r.probability > 1e-6).length };
}

/** Commits no Bayesian run goes to: known untestable, or skipped once (a build or boot that failed will fail again). */
export function unrunnable(state: BisectState): (c: number) => boolean {
  const skipped = new Set(state.history.filter((r) => r.verdict === 'skip').map((r) => r.commit));
  return (c) => {
    const sha = state.graph.commits[c]!;
    return state.untestable[sha] !== undefined || skipped.has(sha);
  };
}

function bestTest(state: BisectState, index: GraphIndex, candidates: CandidateSet, w: Float64Array, qNew: number, qOld: number): number | undefined {
  const wlogw = new Float64Array(index.n);
  let entropy = 0;
  let tTotal = 0;
  for (const x of candidates.list) {
    const v = w[x]!;
    if (v > 0) {
      wlogw[x] = v * Math.log(v);
      entropy -= wlogw[x]!;
      tTotal += wlogw[x]!;
    }
  }
  const [below, belowLog] = ancestorSums(index, candidates, state.firstParent ?? false, [w, wlogw]) as [Float64Array, Float64Array];
  const cannotRun = unrunnable(state);
  let best: number | undefined;
  let bestGain = MIN_GAIN;
  for (const c of candidates.list) {
    if (cannotRun(c)) continue;
    const sA = Math.min(1, below[c]!);
    const tA = belowLog[c]!;
    const sN = Math.max(0, 1 - sA);
    const tN = tTotal - tA;
    const pShow = qNew * sA + qOld * sN;
    const expected = pShow * entropyAfter(qNew, qOld, sA, tA, sN, tN) + (1 - pShow) * entropyAfter(1 - qNew, 1 - qOld, sA, tA, sN, tN);
    const gain = entropy - expected;
    if (gain > bestGain + 1e-12) {
      bestGain = gain;
      best = c;
    }
  }
  return best;
}

// Entropy of the posterior after multiplying the mass below c by `a` and the
// rest by `b`, from the group sums alone.
function entropyAfter(a: number, b: number, sA: number, tA: number, sN: number, tN: number): number {
  const z = a * sA + b * sN;
  if (z <= 0) return 0;
  const part = (f: number, s: number, t: number): number => (f > 0 && s > 0 ? f * (t + s * Math.log(f)) : 0);
  return Math.log(z) - (part(a, sA, tA) + part(b, sN, tN)) / z;
}
