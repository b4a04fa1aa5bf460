import { deriveBounds } from './bounds.js';
import { computeCandidates } from './candidates.js';
import { engineVerdict } from './decided-verdicts.js';
import { freshRun } from './fresh-run.js';
import type { GraphIndex } from './graph-index.js';
import { chooseParallel } from './parallel-choice.js';
import { exhausted, notToRun, roundsLeft, type ParallelSearch } from './parallel-search.js';
import type { Policy } from './policy.js';
import { isBisectRun, runKey, type RunRef } from './run-ref.js';
import type { BisectState, Progress } from './state.js';
import { computeWeights } from './weights.js';

type RepeatPolicy = Extract<Policy, { kind: 'repeat' }>;

/**
 * How many commits to test at once with k machines when a commit is decided
 * after up to `goodAfter` runs: p commits with k/p runs each take about
 * ⌈goodAfter / ⌊k/p⌋⌉ rounds per step (a clean commit needs all its runs; a
 * bad one usually shows early) and a step leaves 1/(p+1) of the range, so p
 * minimises rounds per halving. goodAfter 1 gives p = k (plain multisection);
 * goodAfter 10 on 4 machines gives p = 1 (all four run the same commit).
 */
export function repeatPoints(k: number, goodAfter: number): number {
  let best = 1;
  let bestCost = Infinity;
  for (let p = 1; p <= k; p++) {
    const cost = Math.ceil(goodAfter / Math.floor(k / p)) / Math.log2(p + 1);
    if (cost < bestCost - 1e-12) {
      best = p;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * The repeat policy with up to `state.parallel` runs in flight: git's search
 * over decided commits (a commit is decided after `badAfter` showings or
 * `goodAfter` clean runs), with {@link repeatPoints} commits open at once at
 * multisection points and the k runs shared evenly among them, several runs
 * of one commit at once. Runs of a commit that got decided (its first showing with
 * badAfter 1) or left the candidates are moot and cancelled; a verdict that
 * lands for one anyway is recorded and, the commit being decided, changes nothing.
 */
export function searchRepeatParallel(state: BisectState, index: GraphIndex): ParallelSearch {
  const policy = state.policy as RepeatPolicy;
  const k = state.parallel ?? 1;
  const shas = state.graph.commits;
  const bounds = deriveBounds(state, index);
  const candidates = computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
  const excluded = notToRun(state, index, bounds);
  const open = (c: number | undefined): c is number => c !== undefined && c !== bounds.bad && candidates.mask[c] === 1 && !excluded.has(c);
  const landed = new Set(state.history.filter((r) => r.source !== 'start').map((r) => runKey(r)));
  // Switching from one run at a time: the run waiting for its verdict is in flight too.
  const handedOut = state.inFlight ?? (state.pending?.purpose === 'bisect' ? [state.pending] : []);
  const keep: RunRef[] = [];
  const cancel: RunRef[] = [];
  for (const ref of handedOut) {
    if (landed.has(runKey(ref))) continue;
    (open(index.indexOf.get(ref.commit)) ? keep : cancel).push(ref);
  }
  const testable = candidates.list.filter((c) => open(c));
  if (testable.length === 0) return exhausted(state, candidates.list, bounds, cancel);

  // Runs a commit may still need: with p showings and a clean ones, at most badAfter + goodAfter − 1 in all.
  const seen = new Map<number, number>();
  for (const r of state.history) {
    const c = index.indexOf.get(r.commit);
    if (r.source === 'probe' && isBisectRun(r) && open(c) && engineVerdict(r.verdict, state.terms) !== 'skip') seen.set(c, (seen.get(c) ?? 0) + 1);
  }
  const flying = new Map<number, number>();
  for (const r of keep) {
    const c = index.indexOf.get(r.commit)!;
    flying.set(c, (flying.get(c) ?? 0) + 1);
  }
  const room = (c: number): number => policy.badAfter + policy.goodAfter - 1 - (seen.get(c) ?? 0) - (flying.get(c) ?? 0);
  // Commits begun and not decided stay open, in the order their runs went out.
  const points: number[] = [...new Set([...keep.map((r) => index.indexOf.get(r.commit)!), ...seen.keys()])];
  const weights = computeWeights(index, candidates, state.firstParent);
  const addPoints = (count: number): number => {
    const picks = chooseParallel({ candidates, weights, bad: bounds.bad, excluded: new Set([...excluded, ...points]), inFlight: points, slots: count });
    points.push(...picks);
    return picks.length;
  };
  const wanted = repeatPoints(k, policy.goodAfter);
  if (points.length < wanted) addPoints(wanted - points.length);
  const start: RunRef[] = [];
  let free = k - keep.length;
  // Each free machine goes to the open commit with the fewest runs so far (the one
  // furthest from a decision); once every open commit has all the runs it may need, open another.
  while (free > 0) {
    let pick: number | undefined;
    for (const c of points) {
      if (room(c) > 0 && (pick === undefined || (seen.get(c) ?? 0) + (flying.get(c) ?? 0) < (seen.get(pick) ?? 0) + (flying.get(pick) ?? 0))) pick = c;
    }
    if (pick === undefined) {
      if (addPoints(1) === 0) break;
      continue;
    }
    const sha = shas[pick]!;
    start.push({ commit: sha, purpose: 'bisect', run: freshRun(state, sha, 'bisect', start) });
    flying.set(pick, (flying.get(pick) ?? 0) + 1);
    free--;
  }
  const progress: Progress = {
    candidatesLeft: candidates.list.length,
    testableLeft: testable.length,
    stepsLeft: roundsLeft(testable.length, wanted),
    tested: state.history.filter((r) => r.source === 'probe' || r.source === 'manual').length,
  };
  return { kind: 'test', start, cancel, inFlight: [...keep, ...start], progress };
}
