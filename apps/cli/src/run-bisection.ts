import { goodForRecheck, needsCannotRunRecheck, type BisectCommand, type BisectResult, type BisectState, type ProbeOutcome } from '@kbisect/bisect';
import { driverNext, driverResult, driverStartFor, forcedReason, openRange, startDriver, testsMergeBase, type DriverStep } from '@kbisect/service/driver';
import { recheckAtGood } from './cannot-run-recheck.js';
import type { RunDeps, RunRequest } from './run-ports.js';

export class BisectionRefusedError extends Error {
  readonly code = 'KBISECT_ERR_BISECTION_REFUSED';
  readonly category = 'user' as const;
  constructor(message: string) {
    super(message);
    this.name = 'BisectionRefusedError';
  }
}

/**
 * A whole local bisection on the driver core the orchestrator uses: open the
 * range, start (merge bases first, an imported log applied), then loop the
 * driver over worktree + probe until it answers. This file only wires the
 * side effects — git, processes, the terminal — through `deps`
 * (syzkaller's Run/runImpl split).
 */
export async function runBisection(req: RunRequest, deps: RunDeps): Promise<{ result: BisectResult; state: BisectState }> {
  const options = req.options ?? {};
  const range = await openRange(deps.git, { bad: req.badRef, good: req.goodRefs, ...(options.terms ? { terms: options.terms } : {}), fields: { bad: '--bad', good: () => '--good' } });
  const untestable = req.untestable ? await req.untestable(range.graph, range.bad, range.goods) : {};
  const start = driverStartFor(options, range, untestable, { narrow: req.narrow, imported: req.imported });
  const started = startDriver(start);
  if (!started.ok) throw new BisectionRefusedError(started.message);
  let d: DriverStep = started.driver;
  const subjects = new Map(range.graph.commits.map((c, i) => [c, range.graph.subjects?.[i]]));
  const untestableOf = (s: DriverStep) => s.step.state.history.filter((r) => r.source === 'untestable');
  let reported = untestableOf(d).length;
  for (let n = 1; ; n++) {
    expectAccepted(d);
    const skipped = untestableOf(d);
    for (const r of skipped.slice(reported)) deps.reporter.autoSkipped(r.commit, r.reason ?? 'untestable');
    reported = skipped.length;
    const command = d.step.commands[0];
    if (command?.type !== 'test') break;
    const purpose = command.purpose ?? 'bisect';
    deps.reporter.stepStarted(n, command.commit, subjects.get(command.commit), command.progress, testsMergeBase(d) ? 'a merge base must be tested first, as git does' : noteOf(command));
    // The checkout puts back this commit's exact tree, whatever the last test, revert or forced edit left.
    await deps.checkout.checkout(command.commit);
    const { dir } = deps.checkout;
    if (command.revert) {
      try {
        await deps.checkout.revert(command.revert);
      } catch (err) {
        d = driverNext(start, d, { type: 'revert-unavailable', reason: `reverting ${command.revert} conflicts: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
    }
    const forced = req.prepareWorktree ? await req.prepareWorktree(dir, purpose) : [];
    let outcome: ProbeOutcome = await deps.probe.test(command.commit, dir);
    if (forced.length > 0 && outcome.kind === 'verdict') outcome = { ...outcome, reason: forcedReason(forced, outcome.reason) };
    // git re-checks a first 126/127 at a good commit: the command may not run at all.
    if (needsCannotRunRecheck(outcome, n === 1)) outcome = await recheckAtGood(outcome, command.commit, goodForRecheck(d.step.state), deps);
    if (outcome.kind === 'abort') {
      d = driverNext(start, d, { type: 'fail', reason: `${command.commit}: ${outcome.reason}` });
      break;
    }
    deps.reporter.stepFinished(n, command.commit, outcome.verdict, outcome.reason);
    d = driverNext(start, d, { type: 'verdict', commit: command.commit, verdict: outcome.verdict, reason: outcome.reason, ...(command.run ? { run: command.run } : {}), ...(purpose !== 'bisect' ? { purpose } : {}) });
  }
  return { result: driverResult(req.id, d), state: d.step.state };
}

/** What the terminal says beside a step that is not a plain first run. */
function noteOf(command: Extract<BisectCommand, { type: 'test' }>): string | undefined {
  const purpose = command.purpose ?? 'bisect';
  if (purpose === 'narrow') return `narrowing, forced${command.run ? `, run ${command.run + 1}` : ''}`;
  if (purpose === 'bisect') return command.run ? `run ${command.run + 1}` : undefined;
  return `${purpose}${command.revert ? ` with ${command.revert.slice(0, 12)} reverted` : ''}, run ${(command.run ?? 0) + 1}`;
}

function expectAccepted(d: DriverStep): void {
  const rejected = d.step.commands.find((c) => c.type === 'rejected');
  if (rejected?.type === 'rejected') throw new BisectionRefusedError(rejected.message);
}

export type { RunGit, RunReporter, RunRequest, RunDeps, RunOptions } from './run-ports.js';
