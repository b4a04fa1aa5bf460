import { markAncestors } from './ancestry.js';
import { computeCandidates } from './candidates.js';
import type { GraphIndex } from './graph-index.js';
import type { Policy } from './policy.js';
import { nextRunIndex } from './decided-verdicts.js';
import { isBisectRun } from './run-ref.js';
import type { BisectState } from './state.js';
import { logBeta } from './log-beta.js';
import { ancestorSums } from './weights.js';

type BayesPolicy = Extract<Policy, { kind: 'bayes' }>;

export type BayesOutcome =
  | { readonly kind: 'calibrate'; readonly commit: string; readonly run: number }
  | { readonly kind: 'test'; readonly commit: number; readonly run: number; readonly support: number }
  | { readonly kind: 'found'; readonly commit: number; readonly confidence: number; readonly posterior: readonly { commit: number; probability: number }[] }
  | { readonly kind: 'ambiguous'; readonly commits: readonly number[]; readonly confidence: number; readonly posterior: readonly { commit: number; probability: number }[] }
  | { readonly kind: 'failed'; readonly error: string };

const MAX_CALIBRATION_RUNS = 30;
/** Showings of the bug wanted at the known end before bisecting, when detection is unknown. */
const CALIBRATION_SHOWINGS = 3;
/** …and runs there, so one lucky streak cannot make a rare bug look reliable. */
const CALIBRATION_RUNS = 8;
/** Below this expected gain (nats) no test can tell the remaining candidates apart. */
const MIN_GAIN = 1e-9;

interface Counts { present: number; absent: number }

/**
 * Bayesian bisection for flaky reproducers. The hypothesis is "commit x is the
 * first new one"; a run at c shows the bug with probability q_new if x is an
 * ancestor of c (c is new) and q_old otherwise. For a regression q_new is the
 * detection rate and q_old the false-positive rate; for a fix they swap. The
 * next run goes where the expected information gain is largest, computed
 * exactly from two weighted-ancestor sums (posterior mass and mass·log mass
 * below each commit), so the choice costs O(range) per run, merges included.
 */
export function chooseBayes(state: BisectState, index: GraphIndex, policy: BayesPolicy): BayesOutcome {
  const probe = state.history.filter((r) => r.source === 'probe' || r.source === 'manual' || r.source === 'log');
  const fix = state.terms === 'fix';
  // Where the bug certainly shows: the bad end of a regression, the old end of a fix.
  const anchor = fix ? state.goods[0]! : state.bad;
  const anchorRuns = probe.filter((r) => r.commit === anchor && r.verdict !== 'skip');

  // The bug must show at the known end, or there is nothing to find; a few
  // showings there pin the detection rate down for every hypothesis alike,
  // which keeps the first few clean runs elsewhere from looking like proof.
  const shownAtAnchor = anchorRuns.filter((r) => r.verdict === 'bad').length;
  if (policy.detection === undefined && (shownAtAnchor < CALIBRATION_SHOWINGS || anchorRuns.length < CALIBRATION_RUNS) && anchorRuns.length < MAX_CALIBRATION_RUNS) {
    return { kind: 'calibrate', commit: anchor, run: anchorRuns.length };
  }
  if (shownAtAnchor === 0) {
    if (anchorRuns.length >= MAX_CALIBRATION_RUNS) {
      return { kind: 'failed', error: `the ${fix ? 'good' : 'bad'} end ${anchor} did not show the bug in ${anchorRuns.length} runs: nothing to bisect` };
    }
    return { kind: 'calibrate', commit: anchor, run: anchorRuns.length };
  }
  const eps = policy.falsePositive;
  const bad = index.indexOf.get(state.bad)!;
  const candidates = computeCandidates(index, bad, [], state.firstParent ?? false);
  const { list } = candidates;

  // Per hypothesis x: runs at commits on x's detecting side (new commits for
  // a regression, old ones for a fix) and whether any run elsewhere showed the bug.
  const counts = new Map<number, Counts>();
  for (const r of probe) {
    const c = index.indexOf.get(r.commit);
    if (r.verdict === 'skip') continue;
    // The old end of a fix lies outside the graph: it is on every hypothesis's detecting side.
    const key = c ?? -1;
    if (c === undefined && r.commit !== anchor) continue;
    const k = counts.get(key) ?? { present: 0, absent: 0 };
    if (r.verdict === 'bad') k.present++;
    else k.absent++;
    counts.set(key, k);
  }
  const shownOn = new Float64Array(index.n);
  const cleanOn = new Float64Array(index.n);
  const impossible = new Uint8Array(index.n);
  const plugIn = new Float64Array(index.n);
  const mark = new Uint8Array(index.n);
  for (const [c, k] of counts) {
    mark.fill(0);
    if (c >= 0) markAncestors(index, [c], mark, 1);
    for (const x of list) {
      const detecting = c < 0 ? true : fix ? !mark[x] : !!mark[x];
      if (detecting) {
        shownOn[x]! += k.present;
        cleanOn[x]! += k.absent;
      } else if (k.present > 0) {
        if (eps === 0) impossible[x] = 1;
        else plugIn[x]! += k.present * Math.log(eps) + k.absent * Math.log(1 - eps);
      } else if (eps > 0) {
        plugIn[x]! += k.absent * Math.log(1 - eps);
      }
    }
  }
  // Detection given: plain likelihood. Unknown: integrated over a uniform
  // prior, so no point estimate from a few runs can make the search overconfident.
  const logPost = new Float64Array(index.n);
  let max = -Infinity;
  for (const x of list) {
    if (impossible[x]) {
      logPost[x] = -Infinity;
      continue;
    }
    const sh = shownOn[x]!;
    const cl = cleanOn[x]!;
    const detection = policy.detection;
    logPost[x] = plugIn[x]! + (detection !== undefined ? (sh ? sh * Math.log(detection) : 0) + (cl ? cl * Math.log(1 - detection) : 0) : logBeta(1 + sh, 1 + cl));
    if (logPost[x]! > max) max = logPost[x]!;
  }
  if (max === -Infinity) return { kind: 'failed', error: 'the runs contradict each other under the model (a bug shown where it cannot be); set a false-positive rate' };
  const w = new Float64Array(index.n);
  let z = 0;
  for (const x of list) {
    w[x] = Math.exp(logPost[x]! - max);
    z += w[x]!;
  }
  // The detection rate the next choice assumes: its posterior mean.
  let detection = 0;
  for (const x of list) {
    w[x]! /= z;
    detection += policy.detection ?? (w[x]! * (1 + shownOn[x]!)) / (2 + shownOn[x]! + cleanOn[x]!);
  }
  if (policy.detection !== undefined) detection = policy.detection;
  const qNew = fix ? eps : detection;
  const qOld = fix ? detection : eps;
  const ranked: { commit: number; probability: number }[] = [];
  for (const x of list) if (w[x]! > 0) ranked.push({ commit: x, probability: w[x]! });
  ranked.sort((a, b) => b.probability - a.probability || a.commit - b.commit);
  const top = ranked.slice(0, 5);
  if (ranked[0]!.probability >= policy.confidence) {
    // Before stopping, ask the same question assuming the bug shows less often
    // than it seems (the low end of its credible range): an answer that only
    // holds for an optimistic detection rate needs more runs.
    const leader = ranked[0]!.commit;
    const anchorShown = anchorRuns.filter((r) => r.verdict === 'bad').length;
    const stillLeads = policy.detection !== undefined || pessimisticPosterior(list, anchorShown, anchorRuns.length - anchorShown, shownOn, cleanOn, plugIn, impossible, leader) >= policy.confidence;
    if (stillLeads) return { kind: 'found', commit: leader, confidence: ranked[0]!.probability, posterior: top };
  }

  const used = probe.filter((r) => isBisectRun(r) || r.purpose === 'calibrate').length;
  const best = used >= policy.maxRuns ? undefined : bestTest(state, index, candidates, w, qNew, qOld);
  if (best === undefined) return credibleSet(ranked, policy.confidence, top);
  const run = nextRunIndex(probe, index.graph.commits[best]!);
  return { kind: 'test', commit: best, run, support: ranked.filter((r) => r.probability > 1e-6).length };
}

// The leader's posterior with detection fixed low in its credible range, as
// estimated from the known end alone (the only runs no hypothesis can bias).
function pessimisticPosterior(list: Int32Array, anchorShown: number, anchorClean: number, shown: Float64Array, clean: Float64Array, plugIn: Float64Array, impossible: Uint8Array, leader: number): number {
  const a = 1 + anchorShown;
  const b = 1 + anchorClean;
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
  const p = Math.max(0.01, mean - 1.64 * sd);
  let max = -Infinity;
  const logs = new Float64Array(list.length);
  list.forEach((x, i) => {
    logs[i] = impossible[x] ? -Infinity : plugIn[x]! + shown[x]! * Math.log(p) + clean[x]! * Math.log(1 - p);
    if (logs[i]! > max) max = logs[i]!;
  });
  let z = 0;
  let lead = 0;
  list.forEach((x, i) => {
    const v = Math.exp(logs[i]! - max);
    z += v;
    if (x === leader) lead = v;
  });
  return lead / z;
}

function bestTest(state: BisectState, index: GraphIndex, candidates: ReturnType<typeof computeCandidates>, w: Float64Array, qNew: number, qOld: number): number | undefined {
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
  const skipped = new Set(state.history.filter((r) => r.verdict === 'skip').map((r) => r.commit));
  let best: number | undefined;
  let bestGain = MIN_GAIN;
  for (const c of candidates.list) {
    const sha = index.graph.commits[c]!;
    if (state.untestable[sha] !== undefined || skipped.has(sha)) continue;
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

function credibleSet(ranked: readonly { commit: number; probability: number }[], confidence: number, top: readonly { commit: number; probability: number }[]): BayesOutcome {
  const set: number[] = [];
  let mass = 0;
  for (const r of ranked) {
    set.push(r.commit);
    mass += r.probability;
    if (mass >= confidence) break;
  }
  if (set.length === 1) return { kind: 'found', commit: set[0]!, confidence: mass, posterior: top };
  return { kind: 'ambiguous', commits: set, confidence: mass, posterior: top };
}
