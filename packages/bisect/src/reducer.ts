import { isAncestorInRange } from './ancestry.js';
import { chooseBayes } from './bayes-choice.js';
import { deriveBounds } from './bounds.js';
import { computeCandidates } from './candidates.js';
import { isFullSha, validateGraph, type CommitGraph } from './commit-graph.js';
import { bisectRunsOf, engineVerdict } from './decided-verdicts.js';
import { chooseLikeGit } from './git-choice.js';
import { indexGraph, type GraphIndex } from './graph-index.js';
import { normalizePolicy, type PolicyInput } from './policy.js';
import { estimateBisectSteps } from './progress.js';
import type { BisectCommand, BisectEvent, BisectState, Progress, RejectionCode, Step, Terms, VerdictRecord } from './state.js';
import { nextEndpointCheck } from './endpoint-check.js';
import { nextVerification } from './verification.js';
import { nextNarrowing } from './narrowing.js';
import { computeWeights } from './weights.js';
import { isBisectRun, runFields, runKey, runRef, type RunRef } from './run-ref.js';
import { isOutstanding, MAX_PARALLEL, searchParallel, type ParallelSearch } from './parallel-search.js';
import { searchBayesParallel } from './bayes-parallel-search.js';
import { searchRepeatParallel } from './repeat-parallel-search.js';
import { answeredState } from './bayes-answer.js';
import { freshRun } from './fresh-run.js';

export interface StartParams {
  readonly graph: CommitGraph;
  /** The "new" end: the bad commit of a regression (the fixed one when `terms` is 'fix'). */
  readonly bad: string;
  readonly goods: readonly string[];
  /** Follow only first parents, as `git bisect start --first-parent`. @defaultValue false */
  readonly firstParent?: boolean;
  /** Commits known untestable before testing, with reasons; never built, stepped around. */
  readonly untestable?: Readonly<Record<string, string>>;
  /** How runs become decisions. @defaultValue { kind: 'deterministic' } */
  readonly policy?: PolicyInput;
  /** @defaultValue 'regression' */
  readonly terms?: Terms;
  /** Verify a found culprit (and, with `revert`, test the bad end with it reverted). */
  readonly verify?: { readonly revert: boolean };
  /**
   * Test the good end(s) and the bad end before the first step, and stop with
   * the reason when the good end fails or the bad end passes. @defaultValue false
   */
  readonly checkEndpoints?: boolean;
  /**
   * `untestable: narrow`: after an answer left ambiguous by untestable commits,
   * bisect among its candidates with `narrow` runs built with these symbols'
   * blocking dependency dropped, and report that forced answer beside the
   * honest one (see narrowing.ts).
   */
  readonly narrow?: { readonly forced: readonly string[] };
  /**
   * Multisection: keep up to this many runs in flight (a `parallel` event
   * changes it later). Deterministic: points that cut the candidates into
   * k+1 near-equal parts; bayes: the batch expected to teach the most
   * together; repeat: a few commits with several runs each. 1 walks the
   * one-at-a-time path (git's, for deterministic verdicts). @defaultValue 1
   */
  readonly parallel?: number;
}

/** Starts a bisection and says which commit to test first (or the answer, when the range is trivial). */
export function startBisection(params: StartParams): Step {
  const problems = validateGraph(params.graph);
  const policy = normalizePolicy(params.policy);
  const base: BisectState = {
    schema: 1,
    graph: params.graph,
    firstParent: params.firstParent ?? false,
    bad: params.bad,
    goods: [...params.goods],
    untestable: { ...(params.untestable ?? {}) },
    history: [
      { commit: params.bad, verdict: 'bad', source: 'start' },
      ...params.goods.map((g): VerdictRecord => ({ commit: g, verdict: 'good', source: 'start' })),
    ],
    status: 'running',
    ...(typeof policy === 'object' && policy.kind !== 'deterministic' ? { policy } : {}),
    ...(params.terms === 'fix' ? { terms: 'fix' as const } : {}),
    ...(params.verify ? { verify: params.verify } : {}),
    ...(params.checkEndpoints ? { checkEndpoints: true } : {}),
    ...(params.narrow ? { narrow: { forced: [...params.narrow.forced] } } : {}),
    ...(params.parallel !== undefined && params.parallel > 1 ? { parallel: params.parallel } : {}),
  };
  if (typeof policy === 'string') return failStart(base, 'KBISECT_ERR_INVALID_POLICY', policy);
  const parallelProblem = params.parallel === undefined ? undefined : checkParallel(base, params.parallel);
  if (parallelProblem) return failStart(base, 'KBISECT_ERR_INVALID_PARALLEL', parallelProblem);
  if (problems.length > 0) return failStart(base, 'KBISECT_ERR_INVALID_GRAPH', `invalid commit graph: ${problems.slice(0, 3).join('; ')}`);
  const index = indexGraph(params.graph);
  if (!index.indexOf.has(params.bad)) return failStart(base, 'KBISECT_ERR_INVALID_START', `bad commit ${params.bad} is not in the commit graph`);
  if (params.goods.length === 0) return failStart(base, 'KBISECT_ERR_INVALID_START', 'at least one good commit is needed');
  for (const g of params.goods) {
    if (!isFullSha(g)) return failStart(base, 'KBISECT_ERR_INVALID_START', `good commit '${g}' is not a full sha`);
    if (g === params.bad) return failStart(base, 'KBISECT_ERR_INVALID_START', `good and bad are the same commit ${g}`);
  }
  return advance(base, index);
}

/** The reducer: one event in, the new state and what to do next out. Never throws on bad input. */
export function next(state: BisectState, event: BisectEvent): Step {
  if (state.status !== 'running' && event.type === 'verdict' && isOutstanding(state, runKey(event)) && !state.history.some((r) => r.source !== 'start' && runKey(r) === runKey(event))) {
    // A cancelled run that finished anyway: its result is evidence, the answer stands.
    return { state: { ...state, history: [...state.history, recordOf(event)] }, commands: [] };
  }
  if (state.status !== 'running') return reject(state, 'KBISECT_ERR_NOT_RUNNING', `bisection is already ${state.status}`);
  const index = indexGraph(state.graph);
  switch (event.type) {
    case 'cancel':
      return finish({ ...state, status: 'cancelled', ...(event.reason ? { error: event.reason } : {}) });
    case 'fail':
      return finish({ ...state, status: 'failed', error: event.reason });
    case 'untestable':
      return advance({ ...state, untestable: { ...state.untestable, ...event.commits } }, index);
    case 'parallel': {
      const problem = checkParallel(state, event.k);
      if (problem) return reject(state, 'KBISECT_ERR_INVALID_PARALLEL', problem);
      return advance({ ...state, parallel: event.k }, index);
    }
    case 'revert-unavailable':
      return advance({ ...state, verification: { ...state.verification, revert: { outcome: 'unavailable', reason: event.reason } } }, index);
    case 'verdict':
      return applyVerdict(state, index, event);
  }
}

function applyVerdict(state: BisectState, index: GraphIndex, event: Extract<BisectEvent, { type: 'verdict' }>): Step {
  const ref = runRef(event);
  const flaky = state.policy !== undefined || ref.purpose !== 'bisect';
  const key = runKey(ref);
  const previous = flaky
    ? state.history.find((r) => r.source !== 'start' && runKey(r) === key)
    : state.history.find((r) => r.commit === event.commit && isBisectRun(r));
  if (previous) {
    // A start record is stored in engine terms, probe records as the probe said them.
    const said = previous.source === 'start' ? engineVerdict(event.verdict, state.terms) : event.verdict;
    // Replayed results (a retried job, a re-imported log) must not count twice.
    if (previous.verdict === said) return { state, commands: currentCommands(state, index) };
    const what = previous.source === 'start' ? `the ${previous.verdict === 'bad' ? 'bad' : 'good'} end of the range` : `already marked ${previous.verdict}`;
    return reject(state, 'KBISECT_ERR_CONFLICTING_VERDICT', `commit ${event.commit} is ${what}`);
  }
  const c = index.indexOf.get(event.commit);
  const knownEnd = state.goods.includes(event.commit) || event.commit === state.bad;
  if (c === undefined && !(knownEnd && flaky)) return reject(state, 'KBISECT_ERR_UNKNOWN_COMMIT', `commit ${event.commit} is not in the bisection range`);
  if (!flaky && c !== undefined) {
    const problem = contradiction(state, index, c, engineVerdict(event.verdict, state.terms), isOutstanding(state, key));
    if (problem) return reject(state, 'KBISECT_ERR_CONTRADICTS_HISTORY', problem);
  }
  return advance({ ...state, history: [...state.history, recordOf(event)] }, index);
}

function recordOf(event: Extract<BisectEvent, { type: 'verdict' }>): VerdictRecord {
  const { revert: _revert, ...fields } = runFields(runRef(event));
  return {
    ...fields,
    verdict: event.verdict,
    source: event.source ?? 'probe',
    ...(event.reason !== undefined ? { reason: event.reason } : {}),
    ...(event.metrics !== undefined ? { metrics: event.metrics } : {}),
  };
}

function checkParallel(state: BisectState, k: number): string | undefined {
  if (!Number.isInteger(k) || k < 1 || k > MAX_PARALLEL) return `parallel must be an integer from 1 to ${MAX_PARALLEL}, not ${k}`;
  return undefined;
}

// A run handed out in parallel may land after another verdict moved the bad
// end past it: "not an ancestor of the current bad commit" is then expected,
// not a contradiction (`outstanding`); the other checks still hold.
function contradiction(state: BisectState, index: GraphIndex, c: number, verdict: VerdictRecord['verdict'], outstanding: boolean): string | undefined {
  const bounds = deriveBounds(state, index);
  const sha = index.graph.commits[c]!;
  const badSha = index.graph.commits[bounds.bad]!;
  if (verdict === 'good' && isAncestorInRange(index, bounds.bad, c)) return `commit ${sha} cannot be good: it contains the bad commit ${badSha}`;
  if (verdict !== 'skip' && !outstanding && !isAncestorInRange(index, c, bounds.bad)) return `commit ${sha} is not an ancestor of the current bad commit ${badSha}`;
  if (verdict === 'bad') {
    const goodAncestor = bounds.goods.find((g) => isAncestorInRange(index, c, g));
    if (goodAncestor !== undefined) return `commit ${sha} cannot be bad: good commit ${index.graph.commits[goodAncestor]} contains it`;
  }
  return undefined;
}

type Search =
  | { kind: 'test'; ref: RunRef; progress: Progress; history: VerdictRecord[] }
  | { kind: 'done'; state: BisectState };

/** Decides the next step: check the ends when asked to, bisect until an answer, then verify it when asked to. */
function advance(before: BisectState, index: GraphIndex): Step {
  let state = before;
  if (state.checkEndpoints && state.endpoints === undefined) {
    const check = nextEndpointCheck(state);
    if (check.kind === 'test') {
      const { next: _n, pending: _p, ...rest } = state;
      const progress = { candidatesLeft: state.graph.commits.length, testableLeft: state.graph.commits.length, stepsLeft: estimateBisectSteps(state.graph.commits.length), tested: tested(state.history) };
      return testStep(rest, check.ref, progress);
    }
    if (check.kind === 'failed') return finish({ ...state, status: 'failed', error: check.error, endpoints: check.endpoints });
    state = { ...state, endpoints: check.endpoints };
  }
  const multi = (state.parallel ?? 1) > 1 || (state.inFlight?.length ?? 0) > 0 ? parallelSearch(state, index) : undefined;
  if (multi?.kind === 'test' && ((state.parallel ?? 1) > 1 || multi.inFlight.length > multi.start.length)) return parallelStep(state, multi);
  if (multi === undefined) return searchOneAtATime(state, index);
  // Back to one run at a time (k lowered to 1 and nothing useful in flight), or answered.
  const { inFlight: _f, ...settled } = state;
  const moot = [...(state.moot ?? []), ...multi.cancel];
  const step = multi.kind === 'done' ? afterAnswer(multi.state, index) : searchOneAtATime({ ...settled, ...(moot.length > 0 ? { moot } : {}) }, index);
  return { state: step.state, commands: [...cancelCommands(multi.cancel), ...step.commands] };
}

/** The multisection search of the bisection's policy. */
function parallelSearch(state: BisectState, index: GraphIndex): ParallelSearch {
  if (state.policy?.kind === 'bayes') return searchBayesParallel(state, index);
  if (state.policy?.kind === 'repeat') return searchRepeatParallel(state, index);
  return searchParallel(state, index);
}

function searchOneAtATime(state: BisectState, index: GraphIndex): Step {
  const search = state.policy?.kind === 'bayes' ? searchBayes(state, index) : searchLikeGit(state, index);
  if (search.kind === 'test') {
    const { next: _n, pending: _p, ...rest } = state;
    return testStep({ ...rest, history: search.history }, search.ref, search.progress);
  }
  return afterAnswer(search.state, index);
}

/** Once the search has its answer: verify it, or narrow an untestable stretch, when asked to. */
function afterAnswer(answered: BisectState, index: GraphIndex): Step {
  if (answered.status === 'found' && answered.verify && answered.culprit) {
    const step = nextVerification(answered, index);
    if (step.kind === 'test') {
      const { next: _n, pending: _p, ...rest } = answered;
      return testStep({ ...rest, status: 'running' }, step.ref, { candidatesLeft: 1, testableLeft: 1, stepsLeft: step.remaining, tested: tested(answered.history) });
    }
    return finish({ ...answered, verification: step.summary });
  }
  const narrowing = nextNarrowing(answered, index);
  if (narrowing.kind === 'test') {
    const { next: _n, pending: _p, candidates: _c, ...rest } = answered;
    return testStep({ ...rest, status: 'running' }, { commit: narrowing.commit, purpose: 'narrow', run: narrowing.run }, narrowing.progress);
  }
  if (narrowing.kind === 'done') return finish({ ...answered, narrowed: narrowing.summary });
  return finish(answered);
}

// Picks the next commit the way git would; commits known to be untestable are
// recorded as skipped at no cost and the choice is made again, so the path —
// and the final answer — stay exactly git's, minus the wasted builds.
function searchLikeGit(state: BisectState, index: GraphIndex): Search {
  const history = [...state.history];
  const shas = state.graph.commits;
  for (;;) {
    const current = { ...state, history };
    const bounds = deriveBounds(current, index);
    const candidates = computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
    const weights = computeWeights(index, candidates, state.firstParent);
    const choice = chooseLikeGit({ index, candidates, weights, bad: bounds.bad, firstParent: state.firstParent, skipped: bounds.skipped });
    const { next: _next, pending: _p, culprit: _c, candidates: _a, ...rest } = current;
    if (choice.kind === 'found') return { kind: 'done', state: { ...rest, status: 'found', culprit: shas[choice.commit]! } };
    if (choice.kind === 'ambiguous') return { kind: 'done', state: { ...rest, status: 'ambiguous', candidates: choice.commits.map((i) => shas[i]!) } };
    const sha = shas[choice.commit]!;
    const reason = state.untestable[sha];
    if (reason === undefined) {
      const progress = progressOf(candidates.list, bounds.skipped, history);
      // Repeat after runs in parallel: a run index handed out before (maybe cancelled, never landed) is not reused.
      const run = state.policy === undefined ? bisectRunsOf(current, sha) : Math.max(bisectRunsOf(current, sha), freshRun(current, sha, 'bisect'));
      return { kind: 'test', ref: { commit: sha, run, purpose: 'bisect' }, progress, history };
    }
    history.push({ commit: sha, verdict: 'skip', source: 'untestable', reason: `untestable: ${reason}` });
  }
}

function searchBayes(state: BisectState, index: GraphIndex): Search {
  const outcome = chooseBayes(state, index, state.policy as Extract<NonNullable<BisectState['policy']>, { kind: 'bayes' }>);
  const shas = state.graph.commits;
  const history = [...state.history];
  switch (outcome.kind) {
    case 'calibrate':
      return { kind: 'test', ref: { commit: outcome.commit, run: outcome.run, purpose: 'calibrate' }, progress: { candidatesLeft: shas.length, testableLeft: shas.length, stepsLeft: estimateBisectSteps(shas.length), tested: tested(history) }, history };
    case 'test':
      return { kind: 'test', ref: { commit: shas[outcome.commit]!, run: outcome.run, purpose: 'bisect' }, progress: { candidatesLeft: outcome.support, testableLeft: outcome.support, stepsLeft: estimateBisectSteps(outcome.support), tested: tested(history) }, history };
    default:
      return { kind: 'done', state: answeredState(state, outcome) };
  }
}

function tested(history: readonly VerdictRecord[]): number {
  return history.filter((r) => r.source === 'probe' || r.source === 'manual').length;
}

function progressOf(list: Int32Array, skipped: ReadonlySet<number>, history: readonly VerdictRecord[]): Progress {
  let testable = 0;
  for (const c of list) if (!skipped.has(c)) testable++;
  return { candidatesLeft: list.length, testableLeft: testable, stepsLeft: estimateBisectSteps(list.length), tested: tested(history) };
}

function currentCommands(state: BisectState, index: GraphIndex): BisectCommand[] {
  if (state.status !== 'running' || state.next === undefined) return [];
  // A narrowing step's progress counts the narrowing's candidates; deciding again gives the same command.
  if (state.pending?.purpose === 'narrow') return [...advance(state, index).commands];
  const bounds = deriveBounds(state, index);
  const candidates = computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
  const ref = state.pending ?? runRef({ commit: state.next });
  return [{ type: 'test', ...runFields(ref), progress: progressOf(candidates.list, bounds.skipped, state.history) }];
}

/** Waits for several bisect runs at once: cancels the moot ones, starts the new ones. */
function parallelStep(state: BisectState, search: Extract<ParallelSearch, { kind: 'test' }>): Step {
  const { next: _n, pending: _p, ...rest } = state;
  const moot = [...(state.moot ?? []), ...search.cancel];
  return {
    state: { ...rest, inFlight: search.inFlight, ...(moot.length > 0 ? { moot } : {}) },
    commands: [...cancelCommands(search.cancel), ...search.start.map((ref): BisectCommand => ({ type: 'test', ...runFields(ref), progress: search.progress }))],
  };
}

function cancelCommands(refs: readonly RunRef[]): BisectCommand[] {
  return refs.map((ref) => ({ type: 'cancel-test', ...runFields(ref), reason: `moot: ${ref.commit} is no longer a candidate` }));
}

/** Waits for one run: the state says which (`next`, `pending`), the command asks for it. */
function testStep(state: BisectState, ref: RunRef, progress: Progress): Step {
  return { state: { ...state, next: ref.commit, pending: ref }, commands: [{ type: 'test', ...runFields(ref), progress }] };
}

function finish(state: BisectState): Step {
  const { next: _next, pending: _p, ...done } = state;
  if (done.status === 'running') return { state: done, commands: [] };
  return {
    state: done,
    commands: [{
      type: 'finished',
      status: done.status,
      ...(done.culprit !== undefined ? { culprit: done.culprit } : {}),
      ...(done.candidates !== undefined ? { candidates: done.candidates } : {}),
      ...(done.error !== undefined ? { error: done.error } : {}),
      ...(done.narrowed !== undefined ? { narrowed: done.narrowed } : {}),
    }],
  };
}

function reject(state: BisectState, code: RejectionCode, message: string): Step {
  return { state, commands: [{ type: 'rejected', code, message }] };
}

function failStart(state: BisectState, code: RejectionCode, message: string): Step {
  return { state: { ...state, status: 'failed', error: message }, commands: [{ type: 'rejected', code, message }] };
}

