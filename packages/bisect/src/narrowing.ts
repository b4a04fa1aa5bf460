import { deriveBounds } from './bounds.js';
import { computeCandidates } from './candidates.js';
import { decidedVerdicts, engineVerdict } from './decided-verdicts.js';
import { chooseLikeGit } from './git-choice.js';
import type { GraphIndex } from './graph-index.js';
import { estimateBisectSteps } from './progress.js';
import { isBisectRun } from './run-ref.js';
import type { NarrowedSummary } from './narrowed-summary.js';
import type { BisectState, Progress, VerdictRecord } from './state.js';
import { computeWeights } from './weights.js';


export type NarrowingStep =
  | { readonly kind: 'test'; readonly commit: string; readonly run: number; readonly progress: Progress }
  | { readonly kind: 'done'; readonly summary: NarrowedSummary }
  /** Narrowing does not apply: no untestable commit among the candidates, or a bayes policy. */
  | { readonly kind: 'none' };

/**
 * After the honest search ends ambiguous because of untestable commits, a
 * second search among its candidates only, with the untestable marks lifted
 * (the driver builds those runs with the dependency dropped). It is git's
 * search again — same choice, same skip handling — on a view of the history:
 * the honest goods and bads as bounds, the honest skips for other reasons
 * kept (a commit that failed to build does not build better forced), and the
 * `narrow` runs as its verdicts. Honest verdicts never see the forced ones.
 *
 * With `policy: bayes` nothing is narrowed: its ambiguous answer is a credible
 * set over runs, not a stretch fenced off by untestable commits, and forced
 * runs mixed into a posterior could not be told apart afterwards.
 */
export function nextNarrowing(state: BisectState, index: GraphIndex): NarrowingStep {
  if (!state.narrow || state.status !== 'ambiguous' || state.policy?.kind === 'bayes') return { kind: 'none' };
  const untestable = untestableOf(state);
  if (!(state.candidates ?? []).some((c) => untestable.has(c))) return { kind: 'none' };
  const view = narrowingView(state, untestable);
  const bounds = deriveBounds(view, index);
  const candidates = computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
  const weights = computeWeights(index, candidates, state.firstParent);
  const choice = chooseLikeGit({ index, candidates, weights, bad: bounds.bad, firstParent: state.firstParent, skipped: bounds.skipped });
  const shas = state.graph.commits;
  const forced = state.history.filter((r) => r.purpose === 'narrow' && (r.source === 'probe' || r.source === 'manual'));
  const base = { forced: state.narrow.forced, steps: forced.length };
  if (choice.kind === 'found') return { kind: 'done', summary: { status: 'found', culprit: shas[choice.commit]!, ...base } };
  if (choice.kind === 'ambiguous') return { kind: 'done', summary: { status: 'ambiguous', candidates: choice.commits.map((i) => shas[i]!), ...base } };
  const commit = shas[choice.commit]!;
  let testable = 0;
  for (const c of candidates.list) if (!bounds.skipped.has(c)) testable++;
  const tested = state.history.filter((r) => r.source === 'probe' || r.source === 'manual').length;
  return {
    kind: 'test',
    commit,
    run: forced.filter((r) => r.commit === commit && r.source === 'probe').length,
    progress: { candidatesLeft: candidates.list.length, testableLeft: testable, stepsLeft: estimateBisectSteps(candidates.list.length), tested },
  };
}

// The reason a configure step gives ("untestable: CONFIG_X not set (…)"), as is or
// behind the step's prefix (the build job records "build: untestable: …").
const UNTESTABLE_REASON = /(?:^|: )untestable: /;

/** Commits skipped because a required symbol could not be enabled: by the cheap probe, or by a build that said so. */
function untestableOf(state: BisectState): Set<string> {
  const out = new Set(Object.keys(state.untestable));
  for (const r of state.history) {
    if (r.verdict === 'skip' && isBisectRun(r) && (r.source === 'untestable' || UNTESTABLE_REASON.test(r.reason ?? ''))) out.add(r.commit);
  }
  return out;
}

// The history the narrowing search runs on, in the shape git's search reads:
// honest decisions replayed as marks (decided at once, whatever the policy),
// then the forced runs as bisect runs (so a repeat policy counts them).
function narrowingView(state: BisectState, untestable: ReadonlySet<string>): BisectState {
  const honest: VerdictRecord[] = [];
  for (const r of decidedVerdicts(state)) {
    if (r.source === 'start') honest.push(r);
    else if (!(r.verdict === 'skip' && untestable.has(r.commit))) {
      // decidedVerdicts speaks engine terms; the view maps again, and the mapping is its own inverse.
      honest.push({ commit: r.commit, verdict: engineVerdict(r.verdict, state.terms), source: 'log' });
    }
  }
  const forced = state.history
    .filter((r) => r.purpose === 'narrow')
    .map(({ purpose: _p, ...r }): VerdictRecord => r);
  const { narrow: _n, ...rest } = state;
  return { ...rest, untestable: {}, history: [...honest, ...forced] };
}
