import { fisherExactTwoSided } from './fisher-exact.js';
import type { GraphIndex } from './graph-index.js';
import { runsForConfidence } from './policy.js';
import type { RunPurpose, RunRef } from './run-ref.js';
import type { BisectState, VerdictRecord, VerificationSummary } from './state.js';

export type VerificationStep =
  | { readonly kind: 'test'; readonly ref: RunRef; readonly remaining: number }
  | { readonly kind: 'done'; readonly summary: VerificationSummary };

const MAX_RUNS = 50;

/**
 * After an answer, the runs that check it: the culprit must show the new
 * behaviour, its parents the old one, each with enough runs for the target
 * confidence at the estimated detection rate; optionally the bad end with the
 * culprit reverted, compared with the bad end as is (Fisher's exact test;
 * a deterministic probe's single runs are compared as they are).
 * Scheduled one run at a time, like any step, so a crash loses nothing.
 */
export function nextVerification(state: BisectState, index: GraphIndex): VerificationStep {
  const culprit = state.culprit!;
  const fix = state.terms === 'fix';
  const confidence = state.policy?.kind === 'bayes' ? state.policy.confidence : 0.99;
  // A deterministic probe is believed after one run (as everywhere else); no statistics to do.
  const deterministic = !state.policy || state.policy.kind === 'deterministic';
  const runs = deterministic ? 1 : Math.min(MAX_RUNS, runsForConfidence(detectionOf(state), confidence));
  const of = (commit: string, purpose: RunPurpose): VerdictRecord[] => state.history.filter((r) => r.commit === commit && r.purpose === purpose && r.verdict !== 'skip');
  const shows = (rs: readonly VerdictRecord[]): number => rs.filter((r) => r.verdict === 'bad').length;

  // "New" shows the bug for a regression and hides it for a fix; "old" the reverse.
  const check = (commit: string, purpose: RunPurpose, expectNew: boolean): { step?: VerificationStep; result?: { outcome: 'confirmed' | 'refuted'; runs: number; failures: number } } => {
    const rs = of(commit, purpose);
    const failures = shows(rs);
    const expectShows = expectNew !== fix;
    if (expectShows && failures > 0) return { result: { outcome: 'confirmed', runs: rs.length, failures } };
    if (!expectShows && failures > 0) return { result: { outcome: 'refuted', runs: rs.length, failures } };
    if (rs.length >= runs) return { result: { outcome: expectShows ? 'refuted' : 'confirmed', runs: rs.length, failures } };
    return { step: { kind: 'test', ref: { commit, run: rs.length, purpose }, remaining: runs - rs.length } };
  };

  const summary: { -readonly [K in keyof VerificationSummary]: VerificationSummary[K] } = { ...state.verification };
  const c = check(culprit, 'verify-culprit', true);
  if (c.step) return c.step;
  summary.culprit = c.result!;

  const ci = index.indexOf.get(culprit);
  const inRange = ci === undefined ? [] : (index.graph.parents[ci] ?? []).filter((p) => p >= 0).map((p) => index.graph.commits[p]!);
  const parents = inRange.length > 0 ? inRange : state.goods.slice(0, 1);
  let parentRuns = 0;
  let parentFailures = 0;
  let parentsOk = true;
  for (const parent of parents) {
    const p = check(parent, 'verify-parent', false);
    if (p.step) return p.step;
    parentRuns += p.result!.runs;
    parentFailures += p.result!.failures;
    if (p.result!.outcome === 'refuted') parentsOk = false;
  }
  summary.parents = { outcome: parentsOk ? 'confirmed' : 'refuted', runs: parentRuns, failures: parentFailures };

  if (state.verify?.revert && !fix && summary.revert === undefined) {
    const base = of(state.bad, 'verify-bad');
    if (base.length < runs) return { kind: 'test', ref: { commit: state.bad, run: base.length, purpose: 'verify-bad' }, remaining: 2 * runs - base.length };
    const reverted = of(state.bad, 'verify-revert');
    if (reverted.length < runs) return { kind: 'test', ref: { commit: state.bad, run: reverted.length, purpose: 'verify-revert', revert: culprit }, remaining: runs - reverted.length };
    const fb = shows(base);
    const fr = shows(reverted);
    const pValue = fisherExactTwoSided(fr, reverted.length - fr, fb, base.length - fb);
    const significant = deterministic ? fb > 0 : pValue < 0.05;
    const outcome = significant && fr < fb ? (fr === 0 ? 'fixed' : 'improved') : 'unchanged';
    summary.revert = { outcome, runs: reverted.length, failures: fr, baselineRuns: base.length, baselineFailures: fb, pValue };
  }
  return { kind: 'done', summary };
}

/** The detection rate: given, or estimated (Jeffreys) from runs at commits known to show the bug. */
function detectionOf(state: BisectState): number {
  if (state.policy?.kind === 'bayes' && state.policy.detection !== undefined) return state.policy.detection;
  const showing = new Set(state.history.filter((r) => r.source === 'probe' && r.verdict === 'bad').map((r) => r.commit));
  let present = 0;
  let total = 0;
  for (const r of state.history) {
    if (r.source !== 'probe' || r.verdict === 'skip' || !showing.has(r.commit)) continue;
    total++;
    if (r.verdict === 'bad') present++;
  }
  return total === 0 ? 0.5 : (present + 0.5) / (total + 1);
}
