import { next, runRef, toResult, type BisectResult, type BisectState, type CommitGraph, type ProbeOutcome, type Progress, type Step, type Verdict } from '@kbisect/bisect';
import type { Checkout } from '@kbisect/git';
import type { BisectionOptions } from '@kbisect/service';
import { forcedReason, openRange, resolveImportedLog, startParams, startWithImported, type RangeGit } from '@kbisect/service/driver';

/** The git operations a local bisection needs (opening the range); GitRepo provides them, tests may fake them. */
export type RunGit = RangeGit;

export interface RunReporter {
  stepStarted(step: number, commit: string, subject: string | undefined, progress: Progress, note?: string): void;
  stepFinished(step: number, commit: string, verdict: Verdict, reason: string): void;
  autoSkipped(commit: string, reason: string): void;
}

export interface RunRequest {
  readonly id: string;
  readonly goodRefs: readonly string[];
  readonly badRef: string;
  /** The same options a submitted request carries (policy, terms, verification, endpoint check, first parent). */
  readonly options?: BisectionOptions;
  /** A `git bisect log` to carry on from (its marks are resolved in the repository). */
  readonly importLog?: string;
  /** Commits known untestable before any build, with reasons. */
  readonly untestable?: (graph: CommitGraph, bad: string, goods: readonly string[]) => Promise<Readonly<Record<string, string>>>;
  /**
   * Changes the worktree before the test (e.g. `untestable: force` dropping a
   * BROKEN dependency); what it returns is recorded in the verdict's reason.
   */
  readonly prepareWorktree?: (dir: string) => Promise<readonly string[]>;
}

export interface RunDeps {
  readonly git: RunGit;
  /** The bisection's one worktree, moved from commit to commit (cleaned each step); its owner disposes of it. */
  readonly checkout: Checkout;
  readonly probe: { test(commit: string, worktree: string): Promise<ProbeOutcome> };
  readonly reporter: RunReporter;
}

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
  // The driver core the orchestrator uses too: open the range, start the engine, apply an imported log.
  const range = await openRange(deps.git, { bad: req.badRef, good: req.goodRefs, ...(req.options?.terms ? { terms: req.options.terms } : {}), fields: { bad: '--bad', good: () => '--good' } });
  const untestable = req.untestable ? await req.untestable(range.graph, range.bad, range.goods) : {};
  const imported = req.importLog !== undefined ? await resolveImportedLog(req.importLog, deps.git, '--import-log') : [];
  const started = startWithImported(startParams(req.options, range, untestable), imported);
  if (!started.ok) throw new BisectionRefusedError(started.message);
  let step: Step = started.step;
  const { graph } = range;
  const subjects = new Map(graph.commits.map((c, i) => [c, graph.subjects?.[i]]));
  let reported = step.state.history.length;
  let n = 0;
  for (;;) {
    expectAccepted(step);
    for (const r of step.state.history.slice(reported)) if (r.source === 'untestable') deps.reporter.autoSkipped(r.commit, r.reason ?? 'untestable');
    reported = step.state.history.length;
    const command = step.commands[0];
    if (command?.type !== 'test') break;
    n += 1;
    const ref = runRef(command);
    const note = ref.purpose === 'bisect' ? (ref.run ? `run ${ref.run + 1}` : undefined) : `${ref.purpose}${ref.revert ? ` with ${ref.revert.slice(0, 12)} reverted` : ''}, run ${ref.run + 1}`;
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
    const forced = req.prepareWorktree ? await req.prepareWorktree(dir) : [];
    let outcome: ProbeOutcome = await deps.probe.test(command.commit, dir);
    if (outcome.kind === 'verdict') outcome = { ...outcome, reason: forcedReason(forced, outcome.reason) };
    if (outcome.kind === 'abort') {
      step = next(step.state, { type: 'fail', reason: `${command.commit}: ${outcome.reason}` });
      break;
    }
    deps.reporter.stepFinished(n, command.commit, outcome.verdict, outcome.reason);
    const { type: _type, progress: _progress, ...fields } = command;
    step = next(step.state, { type: 'verdict', ...fields, verdict: outcome.verdict, reason: outcome.reason });
  }
  return { result: toResult(req.id, step.state), state: step.state };
}

function expectAccepted(step: Step): Step {
  const rejected = step.commands.find((c) => c.type === 'rejected');
  if (rejected?.type === 'rejected') throw new BisectionRefusedError(rejected.message);
  return step;
}
