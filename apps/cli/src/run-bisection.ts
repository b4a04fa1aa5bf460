import { next, startBisection, toResult, type BisectResult, type BisectState, type CommitGraph, type PolicyInput, type Progress, type Step, type Terms, type Verdict } from '@kbisect/bisect';
import type { ProbeOutcome } from '@kbisect/bisect';
import type { Checkout } from '@kbisect/git';

/** The git operations a local bisection needs; GitRepo provides them, tests may fake them. */
export interface RunGit {
  resolveCommit(ref: string, field: string): Promise<string>;
  checkRange(bad: string, goods: readonly string[]): Promise<void>;
  readGraph(bad: string, goods: readonly string[]): Promise<CommitGraph>;
}

export interface RunReporter {
  stepStarted(step: number, commit: string, subject: string | undefined, progress: Progress, note?: string): void;
  stepFinished(step: number, commit: string, verdict: Verdict, reason: string): void;
  autoSkipped(commit: string, reason: string): void;
}

export interface RunRequest {
  readonly id: string;
  readonly goodRefs: readonly string[];
  readonly badRef: string;
  readonly firstParent: boolean;
  /** Marks from an imported `git bisect log`, already resolved to shas. */
  readonly imported?: readonly { readonly commit: string; readonly verdict: Verdict }[];
  /** Commits known untestable before any build, with reasons. */
  readonly untestable?: (graph: CommitGraph, bad: string, goods: readonly string[]) => Promise<Readonly<Record<string, string>>>;
  /** @defaultValue deterministic */
  readonly policy?: PolicyInput;
  /** @defaultValue 'regression' */
  readonly terms?: Terms;
  readonly verify?: { readonly revert: boolean };
  /** Test the ends before the first step. @defaultValue false (run follows `git bisect run`) */
  readonly checkEndpoints?: boolean;
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
  const bad = await deps.git.resolveCommit(req.badRef, '--bad');
  const goods: string[] = [];
  for (const ref of req.goodRefs) goods.push(await deps.git.resolveCommit(ref, '--good'));
  await deps.git.checkRange(bad, goods);
  const graph = await deps.git.readGraph(bad, goods);
  const untestable = req.untestable ? await req.untestable(graph, bad, goods) : {};
  let step: Step = startBisection({
    graph, bad, goods, firstParent: req.firstParent, untestable,
    ...(req.policy ? { policy: req.policy } : {}),
    ...(req.terms ? { terms: req.terms } : {}),
    ...(req.verify ? { verify: req.verify } : {}),
    ...(req.checkEndpoints ? { checkEndpoints: true } : {}),
  });
  for (const mark of req.imported ?? []) {
    step = expectAccepted(next(step.state, { type: 'verdict', commit: mark.commit, verdict: mark.verdict, source: 'log' }));
  }
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
    const purpose = command.purpose ?? 'bisect';
    const note = purpose === 'bisect' ? (command.run ? `run ${command.run + 1}` : undefined) : `${purpose}${command.revert ? ` with ${command.revert.slice(0, 12)} reverted` : ''}, run ${(command.run ?? 0) + 1}`;
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
    if (forced.length > 0 && outcome.kind === 'verdict') outcome = { ...outcome, reason: `forced (${forced.join(', ')} without BROKEN): ${outcome.reason}` };
    if (outcome.kind === 'abort') {
      step = next(step.state, { type: 'fail', reason: `${command.commit}: ${outcome.reason}` });
      break;
    }
    deps.reporter.stepFinished(n, command.commit, outcome.verdict, outcome.reason);
    step = next(step.state, { type: 'verdict', commit: command.commit, verdict: outcome.verdict, reason: outcome.reason, ...(command.run ? { run: command.run } : {}), ...(purpose !== 'bisect' ? { purpose } : {}) });
  }
  return { result: toResult(req.id, step.state), state: step.state };
}

function expectAccepted(step: Step): Step {
  const rejected = step.commands.find((c) => c.type === 'rejected');
  if (rejected?.type === 'rejected') throw new BisectionRefusedError(rejected.message);
  return step;
}
