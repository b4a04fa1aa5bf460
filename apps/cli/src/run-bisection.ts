import { next, startBisection, toResult, type BisectResult, type BisectState, type Step } from '@kbisect/bisect';
import { forcedReason } from '@kbisect/service/driver';
import { goodForRecheck, needsCannotRunRecheck, type ProbeOutcome } from '@kbisect/bisect';
import { recheckAtGood } from './cannot-run-recheck.js';
import type { RunDeps, RunRequest } from './run-ports.js';
import { testMergeBases } from './merge-base-phase.js';

export class BisectionRefusedError extends Error {
  readonly code = 'KBISECT_ERR_BISECTION_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'BisectionRefusedError';
  }
}

/**
 * A whole local bisection: resolve and check the range, then loop the engine
 * over worktree + probe until it answers. All wiring to real git, processes
 * and the terminal arrives through `deps` (syzkaller's Run/runImpl split).
 */
export async function runBisection(req: RunRequest, deps: RunDeps): Promise<{ result: BisectResult; state: BisectState }> {
  const bad = await deps.git.resolveCommit(req.badRef, '--bad');
  const goods: string[] = [];
  for (const ref of req.goodRefs) goods.push(await deps.git.resolveCommit(ref, '--good'));
  const mergeBases = await deps.git.mergeBasesToCheck(bad, goods, req.goodRefs);
  const graph = await deps.git.readGraph(bad, goods);
  const untestable = req.untestable ? await req.untestable(graph, bad, goods) : {};
  const start = (startGoods: readonly string[]): Step => startBisection({
    graph, bad, goods: startGoods, firstParent: req.firstParent, untestable,
    ...(req.policy ? { policy: req.policy } : {}),
    ...(req.terms ? { terms: req.terms } : {}),
    ...(req.verify ? { verify: req.verify } : {}),
    ...(req.checkEndpoints ? { checkEndpoints: true } : {}),
    ...(req.narrow ? { narrow: req.narrow } : {}),
  });
  let step = start(goods);
  // A good that is not an ancestor of bad: git tests the merge bases first; good ones become good ends.
  const first = step.commands[0];
  // An imported log may already hold merge-base marks (they lie outside the engine's range).
  const isBase = (m: { commit: string }): boolean => mergeBases.includes(m.commit);
  const known = (req.imported ?? []).filter(isBase);
  const bases = mergeBases.length === 0 ? undefined : await testMergeBases({ bad, goods, mergeBases, known, ...(req.terms ? { terms: req.terms } : {}), progress: first?.type === 'test' ? first.progress : { candidatesLeft: graph.commits.length, testableLeft: 0, stepsLeft: 0, tested: 0 } }, req, deps);
  if (bases?.kind === 'done') step = start(bases.goods);
  if (bases?.kind === 'failed') step = next({ ...step.state, status: 'running' }, { type: 'fail', reason: bases.reason });
  for (const mark of (req.imported ?? []).filter((m) => !isBase(m))) {
    step = expectAccepted(next(step.state, { type: 'verdict', commit: mark.commit, verdict: mark.verdict, source: 'log' }));
  }
  const subjects = new Map(graph.commits.map((c, i) => [c, graph.subjects?.[i]]));
  let reported = step.state.history.length;
  const baseTests = bases?.verdicts.filter((v) => v.source === 'probe').length ?? 0;
  let n = baseTests;
  for (;;) {
    expectAccepted(step);
    for (const r of step.state.history.slice(reported)) if (r.source === 'untestable') deps.reporter.autoSkipped(r.commit, r.reason ?? 'untestable');
    reported = step.state.history.length;
    const command = step.commands[0];
    if (command?.type !== 'test') break;
    n += 1;
    const purpose = command.purpose ?? 'bisect';
    const note = purpose === 'narrow' ? `narrowing, forced${command.run ? `, run ${command.run + 1}` : ''}` : purpose === 'bisect' ? (command.run ? `run ${command.run + 1}` : undefined) : `${purpose}${command.revert ? ` with ${command.revert.slice(0, 12)} reverted` : ''}, run ${(command.run ?? 0) + 1}`;
    deps.reporter.stepStarted(n, command.commit, subjects.get(command.commit), command.progress, note);
    // The checkout puts back this commit's exact tree, whatever the last test, revert or forced edit left.
    await deps.checkout.checkout(command.commit);
    const { dir } = deps.checkout;
    if (command.revert) {
      try {
        await deps.checkout.revert(command.revert);
      } catch (err) {
        step = next(step.state, { type: 'revert-unavailable', reason: `reverting ${command.revert} conflicts: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
    }
    const forced = req.prepareWorktree ? await req.prepareWorktree(dir, purpose) : [];
    let outcome: ProbeOutcome = await deps.probe.test(command.commit, dir);
    if (forced.length > 0 && outcome.kind === 'verdict') outcome = { ...outcome, reason: forcedReason(forced, outcome.reason) };
    // git re-checks a first 126/127 at a good commit: the command may not run at all.
    if (needsCannotRunRecheck(outcome, n === 1)) outcome = await recheckAtGood(outcome, command.commit, goodForRecheck(step.state), deps);
    if (outcome.kind === 'abort') {
      step = next(step.state, { type: 'fail', reason: `${command.commit}: ${outcome.reason}` });
      break;
    }
    deps.reporter.stepFinished(n, command.commit, outcome.verdict, outcome.reason);
    step = next(step.state, { type: 'verdict', commit: command.commit, verdict: outcome.verdict, reason: outcome.reason, ...(command.run ? { run: command.run } : {}), ...(purpose !== 'bisect' ? { purpose } : {}) });
  }
  const result = toResult(req.id, step.state);
  if (!bases || bases.verdicts.length === 0) return { result, state: step.state };
  return { result: { ...result, steps: result.steps + baseTests, verdicts: [...bases.verdicts, ...result.verdicts] }, state: step.state };
}

function expectAccepted(step: Step): Step {
  const rejected = step.commands.find((c) => c.type === 'rejected');
  if (rejected?.type === 'rejected') throw new BisectionRefusedError(rejected.message);
  return step;
}

export type { RunGit, RunReporter, RunRequest, RunDeps } from './run-ports.js';
