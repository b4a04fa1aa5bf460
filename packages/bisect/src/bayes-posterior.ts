import { markAncestors } from './ancestry.js';
import { computeCandidates, type CandidateSet } from './candidates.js';
import type { GraphIndex } from './graph-index.js';
import { logBeta } from './log-beta.js';
import type { Policy } from './policy.js';
import { isBisectRun } from './run-ref.js';
import type { BisectState, VerdictRecord } from './state.js';

export type BayesPolicy = Extract<Policy, { kind: 'bayes' }>;

/** A commit's posterior probability of being the first new one. */
export interface Ranked { readonly commit: number; readonly probability: number }

/**
 * Where the Bayesian search stands after the runs so far: still calibrating
 * at the known end, stuck, sure enough of one commit, or ready to pick runs
 * from the posterior `w` (over graph indices, summing to 1 on the candidates).
 */
export type BayesView =
  | {
      readonly kind: 'calibrate';
      readonly anchor: string;
      /** Runs at the anchor with a verdict so far (the next run's index when none is in flight). */
      readonly runs: number;
      /** More anchor runs wanted before bisecting, at least: several can go out at once. */
      readonly wanted: number;
    }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'found'; readonly commit: number; readonly confidence: number; readonly posterior: readonly Ranked[] }
  | {
      readonly kind: 'ready';
      readonly candidates: CandidateSet;
      readonly w: Float64Array;
      /** Chance a run shows the bug when the hypothesis is below the run's commit (on its new side), and when it is not. */
      readonly qNew: number;
      readonly qOld: number;
      /** Hypotheses with posterior above 0, most likely first. */
      readonly ranked: readonly Ranked[];
      readonly top: readonly Ranked[];
      /** Runs spent from the budget (bisect and calibration runs). */
      readonly used: number;
    };

const MAX_CALIBRATION_RUNS = 30;
/** Showings of the bug wanted at the known end before bisecting, when detection is unknown. */
const CALIBRATION_SHOWINGS = 3;
/** …and runs there, so one lucky streak cannot make a rare bug look reliable. */
const CALIBRATION_RUNS = 8;

interface Counts { present: number; absent: number }

/**
 * The posterior for flaky reproducers. The hypothesis is "commit x is the
 * first new one"; a run at c shows the bug with probability q_new if x is an
 * ancestor of c (c is new) and q_old otherwise. For a regression q_new is the
 * detection rate and q_old the false-positive rate; for a fix they swap. The
 * detection rate, when not given, is integrated over a uniform prior.
 */
export function bayesPosterior(state: BisectState, index: GraphIndex, policy: BayesPolicy): BayesView {
  const probe = probeRuns(state);
  const fix = state.terms === 'fix';
  // Where the bug certainly shows: the bad end of a regression, the old end of a fix.
  const anchor = fix ? state.goods[0]! : state.bad;
  const anchorRuns = probe.filter((r) => r.commit === anchor && r.verdict !== 'skip');

  // The bug must show at the known end, or there is nothing to find; a few
  // showings there pin the detection rate down for every hypothesis alike,
  // which keeps the first few clean runs elsewhere from looking like proof.
  const shownAtAnchor = anchorRuns.filter((r) => r.verdict === 'bad').length;
  const room = MAX_CALIBRATION_RUNS - anchorRuns.length;
  if (policy.detection === undefined && (shownAtAnchor < CALIBRATION_SHOWINGS || anchorRuns.length < CALIBRATION_RUNS) && room > 0) {
    const wanted = Math.max(1, CALIBRATION_RUNS - anchorRuns.length, CALIBRATION_SHOWINGS - shownAtAnchor);
    return { kind: 'calibrate', anchor, runs: anchorRuns.length, wanted: Math.min(room, wanted) };
  }
  if (shownAtAnchor === 0) {
    if (room <= 0) {
      return { kind: 'failed', error: `the ${fix ? 'good' : 'bad'} end ${anchor} did not show the bug in ${anchorRuns.length} runs: nothing to bisect` };
    }
    // Detection given: about one showing's worth of runs.
    return { kind: 'calibrate', anchor, runs: anchorRuns.length, wanted: Math.min(room, Math.ceil(1 / (policy.detection ?? 1))) };
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
  const ranked: Ranked[] = [];
  for (const x of list) if (w[x]! > 0) ranked.push({ commit: x, probability: w[x]! });
  ranked.sort((a, b) => b.probability - a.probability || a.commit - b.commit);
  const top = ranked.slice(0, 5);
  if (ranked[0]!.probability >= policy.confidence) {
    // Before stopping, ask the same question assuming the bug shows less often
    // than it seems (the low end of its credible range): an answer that only
    // holds for an optimistic detection rate needs more runs.
    const leader = ranked[0]!.commit;
    const stillLeads = policy.detection !== undefined || pessimisticPosterior(list, shownAtAnchor, anchorRuns.length - shownAtAnchor, shownOn, cleanOn, plugIn, impossible, leader) >= policy.confidence;
    if (stillLeads) return { kind: 'found', commit: leader, confidence: ranked[0]!.probability, posterior: top };
  }
  const used = probe.filter((r) => isBisectRun(r) || r.purpose === 'calibrate').length;
  return { kind: 'ready', candidates, w, qNew: fix ? eps : detection, qOld: fix ? detection : eps, ranked, top, used };
}

/** The runs the posterior learns from: a probe's, a maintainer's or an imported log's. */
export function probeRuns(state: BisectState): VerdictRecord[] {
  return state.history.filter((r) => r.source === 'probe' || r.source === 'manual' || r.source === 'log');
}

/** The smallest set of most likely commits holding `confidence` of the posterior: the answer once no run is left to tell them apart. */
export function credibleSet(ranked: readonly Ranked[], confidence: number, top: readonly Ranked[]): Extract<BayesView, { kind: 'found' }> | { readonly kind: 'ambiguous'; readonly commits: readonly number[]; readonly confidence: number; readonly posterior: readonly Ranked[] } {
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
