import { engineVerdict, next, nextMergeBaseStep, startBisection, toResult, type BisectEvent, type BisectResult, type Progress, type StartParams, type Step } from '@kbisect/bisect';
import { startWithImported, type ImportedMark } from './imported-log.js';

export type MergeBaseVerdict = BisectResult['verdicts'][number];

/**
 * How a bisection starts, the same for `kbisect run` and the service: the
 * engine's parameters on the range as the user gave it, the merge bases git
 * tests first when a good is not an ancestor of bad, and an imported log's marks.
 */
export interface DriverStart {
  readonly params: StartParams;
  /** In `git merge-base --all` order; empty when every good is an ancestor of bad. */
  readonly mergeBases: readonly string[];
  readonly imported: readonly ImportedMark[];
}

/** The merge bases' verdicts (as the probe said them); `deferred` only while one is still to test. */
export interface MergeBasePhase {
  readonly verdicts: readonly MergeBaseVerdict[];
  /** Verdicts on range commits that arrived before the range was known: applied once it is. */
  readonly deferred?: readonly BisectEvent[];
}

/** The engine's step, and the merge-base phase git runs before it. Plain JSON, like the engine's state. */
export interface DriverStep {
  readonly step: Step;
  readonly mergeBase?: MergeBasePhase;
}

export type DriverOutcome = { readonly ok: true; readonly driver: DriverStep } | { readonly ok: false; readonly message: string };

const rejection = (step: Step): string | undefined => {
  const rejected = step.commands.find((c) => c.type === 'rejected');
  return rejected?.type === 'rejected' ? rejected.message : undefined;
};

/**
 * The first step of a bisection: a merge base to test first (as `git bisect`
 * does for a good beside bad), or the engine started on the range with the
 * imported log applied. A refused start is a value, never half-applied.
 */
export function startDriver(start: DriverStart): DriverOutcome {
  const bases = new Set(start.mergeBases);
  // The log speaks git's terms; a verdict is kept as a probe says it (engineVerdict swaps both ways for a fix).
  const fromLog: MergeBaseVerdict[] = start.imported.filter((m) => bases.has(m.commit)).map((m) => {
    const verdict = engineVerdict(m.verdict, start.params.terms);
    return { commit: m.commit, verdict, reason: `merge base: marked ${verdict} in an imported bisect log`, source: 'log' };
  });
  return resolve(start, fromLog, []);
}

/**
 * One event through the driver: while a merge base is being tested its
 * verdict decides the range; verdicts on other commits wait for the range;
 * a cancel or a failure ends it at once. After the phase, the engine's own
 * `next`. A refused event comes back as the engine's `rejected` command.
 */
export function driverNext(start: DriverStart, d: DriverStep, event: BisectEvent): DriverStep {
  const phase = d.mergeBase;
  if (phase?.deferred === undefined) return { ...d, step: next(d.step.state, event) };
  if (event.type !== 'verdict' || d.step.state.status !== 'running') return { ...d, step: next(d.step.state, event) };
  const current = d.step.commands[0];
  if (current?.type !== 'test' || current.commit !== event.commit) return { ...d, mergeBase: { ...phase, deferred: [...phase.deferred, event] } };
  const verdict: MergeBaseVerdict = { commit: event.commit, verdict: event.verdict, reason: `merge base: ${event.reason ?? event.verdict}`, source: event.source ?? 'probe' };
  const out = resolve(start, [...phase.verdicts, verdict], phase.deferred);
  return out.ok ? out.driver : { ...d, step: { state: d.step.state, commands: [{ type: 'rejected', code: 'KBISECT_ERR_INVALID_START', message: out.message }] } };
}

/** A bisection's result with the merge bases tested before the range (git counts them as steps too). */
export function driverResult(id: string, d: DriverStep): BisectResult {
  const result = toResult(id, d.step.state);
  const verdicts = d.mergeBase?.verdicts ?? [];
  if (verdicts.length === 0) return result;
  return { ...result, steps: result.steps + verdicts.filter((v) => v.source === 'probe').length, verdicts: [...verdicts, ...result.verdicts] };
}

/** Whether the driver's next test is a merge base (outside the range: no subject, a note saying why). */
export function testsMergeBase(d: DriverStep): boolean {
  return d.mergeBase?.deferred !== undefined && d.step.state.status === 'running';
}

function resolve(start: DriverStart, verdicts: readonly MergeBaseVerdict[], deferred: readonly BisectEvent[]): DriverOutcome {
  const { params } = start;
  const tested = new Map(verdicts.map((v) => [v.commit, engineVerdict(v.verdict, params.terms)]));
  const mb = start.mergeBases.length === 0 ? { kind: 'done' as const, goods: params.goods } : nextMergeBaseStep({ bad: params.bad, goods: params.goods, mergeBases: start.mergeBases, tested, ...(params.terms ? { terms: params.terms } : {}) });
  const phase = (open: boolean): { mergeBase?: MergeBasePhase } => (verdicts.length > 0 || open ? { mergeBase: { verdicts, ...(open ? { deferred } : {}) } } : {});
  if (mb.kind === 'done') {
    const bases = new Set(start.mergeBases);
    const started = startWithImported({ ...params, goods: mb.goods }, start.imported.filter((m) => !bases.has(m.commit)));
    if (!started.ok) return started;
    let step = started.step;
    for (const event of deferred) {
      const after = next(step.state, event);
      if (rejection(after) === undefined) step = after;
    }
    return { ok: true, driver: { step, ...phase(false) } };
  }
  // The engine on the range as given: its state carries the ends, the graph and the policy through the phase.
  const initial = startBisection(params);
  const refused = rejection(initial);
  if (refused !== undefined) return { ok: false, message: refused };
  if (mb.kind === 'failed') return { ok: true, driver: { step: next({ ...initial.state, status: 'running' }, { type: 'fail', reason: mb.reason }), ...phase(false) } };
  const first = initial.commands[0];
  const progress: Progress = first?.type === 'test' ? first.progress : { candidatesLeft: params.graph.commits.length, testableLeft: 0, stepsLeft: 0, tested: 0 };
  const probed = verdicts.filter((v) => v.source === 'probe').length;
  // Runs a multisection start would hand out wait for the range: none is in flight during the phase.
  const { inFlight: _inFlight, ...waiting } = initial.state;
  return { ok: true, driver: { step: { state: { ...waiting, next: mb.commit }, commands: [{ type: 'test', commit: mb.commit, progress: { ...progress, tested: probed } }] }, ...phase(true) } };
}
