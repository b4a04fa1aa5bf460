import { answeredState } from './bayes-answer.js';
import { chooseBayesBatch, NEGLIGIBLE_SIDE } from './bayes-batch.js';
import { unrunnable } from './bayes-choice.js';
import { bayesPosterior, credibleSet, type BayesPolicy } from './bayes-posterior.js';
import { freshRun } from './fresh-run.js';
import type { GraphIndex } from './graph-index.js';
import { roundsLeft, type ParallelSearch } from './parallel-search.js';
import { estimateBisectSteps } from './progress.js';
import { runKey, type RunRef } from './run-ref.js';
import type { BisectState, Progress } from './state.js';
import { ancestorSums } from './weights.js';

/**
 * The Bayesian policy with up to `state.parallel` runs in flight: calibration
 * runs at the known end go out together, then each free slot gets the run
 * that adds the most information to the runs still in flight
 * ({@link chooseBayesBatch}). Verdicts arrive in any order and every one is
 * evidence, a cancelled run's included. A run whose outcome the posterior
 * can no longer feel is moot and cancelled; all are once there is an answer.
 */
export function searchBayesParallel(state: BisectState, index: GraphIndex): ParallelSearch {
  const policy = state.policy as BayesPolicy;
  const k = state.parallel ?? 1;
  const landed = new Set(state.history.filter((r) => r.source !== 'start').map((r) => runKey(r)));
  // Switching from one run at a time: the search's run waiting for its verdict is in flight too
  // (a verification run waiting is not the search's: it stays the one-at-a-time step's).
  const waiting = state.pending?.purpose === 'bisect' || state.pending?.purpose === 'calibrate' ? [state.pending] : [];
  const handedOut = state.inFlight ?? waiting;
  const outstanding = handedOut.filter((r) => !landed.has(runKey(r)));
  const view = bayesPosterior(state, index, policy);
  const support = view.kind === 'ready' ? view.ranked.filter((r) => r.probability > 1e-6).length : state.graph.commits.length;
  const progress: Progress = {
    candidatesLeft: support,
    testableLeft: support,
    stepsLeft: k > 1 ? roundsLeft(support, k) : estimateBisectSteps(support),
    tested: state.history.filter((r) => r.source === 'probe' || r.source === 'manual').length,
  };
  const testing = (keep: readonly RunRef[], cancel: readonly RunRef[], start: readonly RunRef[]): ParallelSearch => ({ kind: 'test', start, cancel, inFlight: [...keep, ...start], progress });
  const done = (answer: Parameters<typeof answeredState>[1]): ParallelSearch => {
    const moot = [...(state.moot ?? []), ...outstanding];
    return { kind: 'done', cancel: outstanding, state: answeredState({ ...state, ...(moot.length > 0 ? { moot } : {}) }, answer) };
  };

  if (view.kind === 'failed' || view.kind === 'found') return done(view);
  if (view.kind === 'calibrate') {
    const queued = outstanding.filter((r) => r.purpose === 'calibrate' && r.commit === view.anchor).length;
    const start: RunRef[] = [];
    for (let i = 0; i < Math.min(k - outstanding.length, view.wanted - queued); i++) start.push({ commit: view.anchor, purpose: 'calibrate', run: freshRun(state, view.anchor, 'calibrate', start) });
    return testing(outstanding, [], start);
  }

  // A bisect run is moot once nearly all the posterior lies on one side of its commit
  // (a showing elsewhere ruled out every hypothesis on the other, or a clean run with a reliable reproducer did).
  const below = ancestorSums(index, view.candidates, state.firstParent, [view.w])[0]!;
  const keep: RunRef[] = [];
  const cancel: RunRef[] = [];
  for (const r of outstanding) {
    const c = index.indexOf.get(r.commit);
    const moot = r.purpose === 'bisect' && (c === undefined || !view.candidates.mask[c] || below[c]! < NEGLIGIBLE_SIDE || below[c]! > 1 - NEGLIGIBLE_SIDE);
    (moot ? cancel : keep).push(r);
  }
  // The moot runs' machines are free again; the budget counts the runs still out.
  const slots = Math.min(Math.max(0, k - keep.length), Math.max(0, policy.maxRuns - view.used - keep.length));
  const inFlight = keep.flatMap((r) => (r.purpose === 'bisect' ? [index.indexOf.get(r.commit)!] : []));
  const picks = chooseBayesBatch({ index, view, firstParent: state.firstParent, inFlight, slots, unrunnable: unrunnable(state) });
  // Nothing left worth a run (or the budget is spent) and nothing in flight: the credible set is the answer.
  if (picks.length === 0 && keep.length === 0) return done(credibleSet(view.ranked, policy.confidence, view.top));
  const start: RunRef[] = [];
  for (const c of picks) {
    const sha = state.graph.commits[c]!;
    start.push({ commit: sha, purpose: 'bisect', run: freshRun(state, sha, 'bisect', start) });
  }
  return testing(keep, cancel, start);
}
