import { goodForRecheck, needsCannotRunRecheck, runFields, runKey, runRef, type BisectCommand, type BisectEvent, type BisectResult, type BisectState, type ProbeOutcome } from '@kbisect/bisect';
import type { Checkout } from '@kbisect/git';
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
  // One worktree per run in flight (--parallel): each test has its own tree.
  const free: Checkout[] = [...(deps.moreCheckouts ?? []).slice().reverse(), deps.checkout];
  const running = new Map<string, InFlight>();
  const firstCheckout = oneAtATime();
  let commands = d.step.commands;
  // Tests waiting for a worktree: a moot run's slot frees only once its process has stopped.
  let queue: Extract<BisectCommand, { type: 'test' }>[] = [];
  let n = 0;
  for (;;) {
    expectAccepted(d);
    const skipped = untestableOf(d);
    for (const r of skipped.slice(reported)) deps.reporter.autoSkipped(r.commit, r.reason ?? 'untestable');
    reported = skipped.length;
    for (const command of commands) {
      if (command.type === 'test') queue.push(command);
      if (command.type !== 'cancel-test') continue;
      queue = queue.filter((q) => runKey(q) !== runKey(command));
      const run = running.get(runKey(command));
      if (run === undefined) continue;
      run.abort.abort();
      deps.reporter.stepCancelled?.(run.step, command.commit, command.reason);
    }
    commands = [];
    for (let checkout = free.pop(); checkout !== undefined; checkout = free.pop()) {
      const command = queue.shift();
      if (command === undefined) {
        free.push(checkout);
        break;
      }
      const step = ++n;
      deps.reporter.stepStarted(step, command.commit, subjects.get(command.commit), command.progress, testsMergeBase(d) ? 'a merge base must be tested first, as git does' : noteOf(command));
      const abort = new AbortController();
      const task = testRun({ command, step, checkout, signal: abort.signal, good: () => goodForRecheck(d.step.state), checkoutTo: (sha) => firstCheckout(checkout, sha) }, req, deps).then((outcome) => ({ key: runKey(command), checkout, outcome }));
      running.set(runKey(command), { step, abort, task });
    }
    if (running.size === 0) break;
    const done = await Promise.race([...running.values()].map((r) => r.task));
    running.delete(done.key);
    free.push(done.checkout);
    const { outcome } = done;
    if (outcome.kind === 'cancelled') continue;
    if (outcome.kind === 'abort') {
      d = driverNext(start, d, { type: 'fail', reason: outcome.reason });
      for (const r of running.values()) r.abort.abort();
      await Promise.all([...running.values()].map((r) => r.task));
      break;
    }
    if (outcome.event.type === 'verdict') deps.reporter.stepFinished(outcome.step, outcome.event.commit, outcome.event.verdict, outcome.event.reason ?? outcome.event.verdict);
    d = driverNext(start, d, outcome.event);
    commands = d.step.commands;
  }
  return { result: driverResult(req.id, d), state: d.step.state };
}

interface InFlight {
  readonly step: number;
  readonly abort: AbortController;
  readonly task: Promise<{ key: string; checkout: Checkout; outcome: RunOutcome }>;
}

type RunOutcome =
  | { readonly kind: 'event'; readonly step: number; readonly event: BisectEvent }
  | { readonly kind: 'abort'; readonly reason: string }
  | { readonly kind: 'cancelled' };

/** One test command in its worktree: checkout, revert or forced edit, the probe, git's 126/127 re-check. */
async function testRun(
  run: { readonly command: Extract<BisectCommand, { type: 'test' }>; readonly step: number; readonly checkout: Checkout; readonly signal: AbortSignal; readonly good: () => string; readonly checkoutTo: (sha: string) => Promise<void> },
  req: RunRequest,
  deps: RunDeps,
): Promise<RunOutcome> {
  const { command, checkout } = run;
  const { purpose, run: index } = runRef(command);
  // The checkout puts back this commit's exact tree, whatever the last test, revert or forced edit left.
  await run.checkoutTo(command.commit);
  if (command.revert) {
    try {
      await checkout.revert(command.revert);
    } catch (err) {
      return { kind: 'event', step: run.step, event: { type: 'revert-unavailable', reason: `reverting ${command.revert} conflicts: ${err instanceof Error ? err.message : String(err)}` } };
    }
  }
  const forced = req.prepareWorktree ? await req.prepareWorktree(checkout.dir, purpose) : [];
  if (run.signal.aborted) return { kind: 'cancelled' };
  let outcome: ProbeOutcome = await deps.probe.test(command.commit, checkout.dir, run.signal);
  // Stopped as moot. A test that finished before the stop keeps its verdict: the engine records it.
  if (run.signal.aborted && outcome.kind === 'abort') return { kind: 'cancelled' };
  if (forced.length > 0 && outcome.kind === 'verdict') outcome = { ...outcome, reason: forcedReason(forced, outcome.reason) };
  // git re-checks a first 126/127 at a good commit: the command may not run at all.
  if (needsCannotRunRecheck(outcome, run.step === 1)) outcome = await recheckAtGood(outcome, command.commit, run.good(), { checkout, probe: deps.probe });
  if (outcome.kind === 'abort') return { kind: 'abort', reason: `${command.commit}: ${outcome.reason}` };
  return { kind: 'event', step: run.step, event: { type: 'verdict', ...runFields({ commit: command.commit, purpose, run: index }), verdict: outcome.verdict, reason: outcome.reason } };
}

/**
 * Checks out in a worktree, creating worktrees one at a time: two
 * `git worktree add` on one mirror at once can read each other's half-written
 * records ("failed to read worktrees/…/commondir"). Moves of existing
 * worktrees run concurrently.
 */
function oneAtATime(): (checkout: Checkout, sha: string) => Promise<void> {
  const created = new WeakSet<Checkout>();
  let gate: Promise<unknown> = Promise.resolve();
  return async (checkout, sha) => {
    if (created.has(checkout)) return checkout.checkout(sha);
    const mine = gate.then(() => checkout.checkout(sha));
    gate = mine.catch(() => undefined);
    await mine;
    created.add(checkout);
  };
}

/** What the terminal says beside a step that is not a plain first run. */
function noteOf(command: Extract<BisectCommand, { type: 'test' }>): string | undefined {
  const { purpose, run, revert } = runRef(command);
  if (purpose === 'narrow') return `narrowing, forced${run > 0 ? `, run ${run + 1}` : ''}`;
  if (purpose === 'bisect') return run > 0 ? `run ${run + 1}` : undefined;
  return `${purpose}${revert ? ` with ${revert.slice(0, 12)} reverted` : ''}, run ${run + 1}`;
}

function expectAccepted(d: DriverStep): void {
  const rejected = d.step.commands.find((c) => c.type === 'rejected');
  if (rejected?.type === 'rejected') throw new BisectionRefusedError(rejected.message);
}

export type { RunGit, RunReporter, RunRequest, RunDeps, RunOptions } from './run-ports.js';
