import { isAncestorInRange } from './ancestry.js';
import { deriveBounds } from './bounds.js';
import { computeCandidates } from './candidates.js';
import { isFullSha, validateGraph, type CommitGraph } from './commit-graph.js';
import { chooseLikeGit } from './git-choice.js';
import { indexGraph, type GraphIndex } from './graph-index.js';
import { estimateBisectSteps } from './progress.js';
import type { BisectCommand, BisectEvent, BisectState, Progress, RejectionCode, Step, VerdictRecord } from './state.js';
import { computeWeights } from './weights.js';

export interface StartParams {
  readonly graph: CommitGraph;
  readonly bad: string;
  readonly goods: readonly string[];
  /** Follow only first parents, as `git bisect start --first-parent`. @defaultValue false */
  readonly firstParent?: boolean;
  /** Commits known untestable before testing, with reasons; never built, stepped around. */
  readonly untestable?: Readonly<Record<string, string>>;
}

/** Starts a bisection and says which commit to test first (or the answer, when the range is trivial). */
export function startBisection(params: StartParams): Step {
  const problems = validateGraph(params.graph);
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
  };
  if (problems.length > 0) return failStart(base, 'KBISECT_ERR_INVALID_GRAPH', `invalid commit graph: ${problems.slice(0, 3).join('; ')}`);
  const index = indexGraph(params.graph);
  if (!index.indexOf.has(params.bad)) return failStart(base, 'KBISECT_ERR_INVALID_START', `bad commit ${params.bad} is not in the commit graph`);
  if (params.goods.length === 0) return failStart(base, 'KBISECT_ERR_INVALID_START', 'at least one good commit is needed');
  for (const g of params.goods) {
    if (!isFullSha(g)) return failStart(base, 'KBISECT_ERR_INVALID_START', `good commit '${g}' is not a full sha`);
    if (g === params.bad) return failStart(base, 'KBISECT_ERR_INVALID_START', `good and bad are the same commit ${g}`);
  }
  return decide(base, index);
}

/** The reducer: one event in, the new state and what to do next out. Never throws on bad input. */
export function next(state: BisectState, event: BisectEvent): Step {
  if (state.status !== 'running') return reject(state, 'KBISECT_ERR_NOT_RUNNING', `bisection is already ${state.status}`);
  const index = indexGraph(state.graph);
  switch (event.type) {
    case 'cancel':
      return finish({ ...state, status: 'cancelled', ...(event.reason ? { error: event.reason } : {}) });
    case 'fail':
      return finish({ ...state, status: 'failed', error: event.reason });
    case 'untestable':
      return decide({ ...state, untestable: { ...state.untestable, ...event.commits } }, index);
    case 'verdict':
      return applyVerdict(state, index, event);
  }
}

function applyVerdict(state: BisectState, index: GraphIndex, event: Extract<BisectEvent, { type: 'verdict' }>): Step {
  const c = index.indexOf.get(event.commit);
  const previous = state.history.find((r) => r.commit === event.commit);
  if (previous) {
    // Replayed results (a retried job, a re-imported log) must not count twice.
    if (previous.verdict === event.verdict) return { state, commands: currentCommands(state, index) };
    return reject(state, 'KBISECT_ERR_CONFLICTING_VERDICT', `commit ${event.commit} is already marked ${previous.verdict}`);
  }
  if (c === undefined) return reject(state, 'KBISECT_ERR_UNKNOWN_COMMIT', `commit ${event.commit} is not in the bisection range`);
  const bounds = deriveBounds(state, index);
  if (event.verdict === 'good' && isAncestorInRange(index, bounds.bad, c)) {
    return reject(state, 'KBISECT_ERR_CONTRADICTS_HISTORY', `commit ${event.commit} cannot be good: it contains the bad commit ${state.graph.commits[bounds.bad]}`);
  }
  if (event.verdict !== 'skip' && !isAncestorInRange(index, c, bounds.bad)) {
    return reject(state, 'KBISECT_ERR_CONTRADICTS_HISTORY', `commit ${event.commit} is not an ancestor of the current bad commit ${state.graph.commits[bounds.bad]}`);
  }
  if (event.verdict === 'bad') {
    const goodAncestor = bounds.goods.find((g) => isAncestorInRange(index, c, g));
    if (goodAncestor !== undefined) {
      return reject(state, 'KBISECT_ERR_CONTRADICTS_HISTORY', `commit ${event.commit} cannot be bad: good commit ${state.graph.commits[goodAncestor]} contains it`);
    }
  }
  const record: VerdictRecord = {
    commit: event.commit,
    verdict: event.verdict,
    source: event.source ?? 'probe',
    ...(event.reason !== undefined ? { reason: event.reason } : {}),
  };
  return decide({ ...state, history: [...state.history, record] }, index);
}

// Picks the next commit the way git would; commits known to be untestable are
// recorded as skipped at no cost and the choice is made again, so the path —
// and the final answer — stay exactly git's, minus the wasted builds.
function decide(state: BisectState, index: GraphIndex): Step {
  const bounds = deriveBounds(state, index);
  const candidates = computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
  const weights = computeWeights(index, candidates, state.firstParent);
  const skipped = new Set(bounds.skipped);
  const history = [...state.history];
  const shas = state.graph.commits;
  for (;;) {
    const choice = chooseLikeGit({ index, candidates, weights, bad: bounds.bad, firstParent: state.firstParent, skipped });
    const { next: _next, culprit: _c, candidates: _a, ...rest } = state;
    if (choice.kind === 'found') return finish({ ...rest, history, status: 'found', culprit: shas[choice.commit]! });
    if (choice.kind === 'ambiguous') return finish({ ...rest, history, status: 'ambiguous', candidates: choice.commits.map((i) => shas[i]!) });
    const sha = shas[choice.commit]!;
    const reason = state.untestable[sha];
    if (reason === undefined) {
      const progress = progressOf(candidates.list, skipped, history);
      return { state: { ...rest, history, next: sha }, commands: [{ type: 'test', commit: sha, progress }] };
    }
    history.push({ commit: sha, verdict: 'skip', source: 'untestable', reason: `untestable: ${reason}` });
    skipped.add(choice.commit);
  }
}

function progressOf(list: Int32Array, skipped: ReadonlySet<number>, history: readonly VerdictRecord[]): Progress {
  let testable = 0;
  for (const c of list) if (!skipped.has(c)) testable++;
  return {
    candidatesLeft: list.length,
    testableLeft: testable,
    stepsLeft: estimateBisectSteps(list.length),
    tested: history.filter((r) => r.source === 'probe' || r.source === 'manual').length,
  };
}

function currentCommands(state: BisectState, index: GraphIndex): BisectCommand[] {
  if (state.status !== 'running' || state.next === undefined) return [];
  const bounds = deriveBounds(state, index);
  const candidates = computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
  return [{ type: 'test', commit: state.next, progress: progressOf(candidates.list, bounds.skipped, state.history) }];
}

function finish(state: BisectState): Step {
  const { next: _next, ...done } = state;
  if (done.status === 'running') return { state: done, commands: [] };
  return {
    state: done,
    commands: [{
      type: 'finished',
      status: done.status,
      ...(done.culprit !== undefined ? { culprit: done.culprit } : {}),
      ...(done.candidates !== undefined ? { candidates: done.candidates } : {}),
      ...(done.error !== undefined ? { error: done.error } : {}),
    }],
  };
}

function reject(state: BisectState, code: RejectionCode, message: string): Step {
  return { state, commands: [{ type: 'rejected', code, message }] };
}

function failStart(state: BisectState, code: RejectionCode, message: string): Step {
  return { state: { ...state, status: 'failed', error: message }, commands: [{ type: 'rejected', code, message }] };
}
