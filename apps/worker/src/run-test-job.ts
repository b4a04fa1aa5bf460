import { join } from 'node:path';
import { cannotRunRecheck, goodForRecheck, needsCannotRunRecheck, verdictFromExit } from '@kbisect/bisect';
import { dropBrokenDependencies } from '@kbisect/kbuild';
import { forcesRun, requiredSymbolsOf, stepNames, untestableModeOf, type CommandTestJob } from '@kbisect/service';
import { forcedReason } from '@kbisect/service/driver';
import { runShellCommand } from './command-runner.js';
import { InfrastructureError } from './infrastructure-error.js';
import { recordRevertUnavailable, recordStepFailed, recordStepStarted, recordVerdict } from './record-step.js';
import type { OpenRepo } from './repo-port.js';
import { loadStep } from './step-context.js';
import type { RequestTrust } from './request-trust.js';
import type { StepStore } from './step-store.js';

export interface TestJobDeps {
  readonly store: StepStore;
  /** What this worker allows and the key to check the API's signature (request-trust.ts). */
  readonly trust: RequestTrust;
  readonly openRepo: OpenRepo;
  readonly scratchDir: string;
  readonly now: () => Date;
  /** @defaultValue 3600 s when the probe gives none */
  readonly defaultTimeoutSec: number;
  /** How often a running test checks for cancellation. @defaultValue 1000 */
  readonly cancelPollMs?: number;
  readonly attempt: number;
  /** Runs the probe's command. @defaultValue runShellCommand (a process group of its own) */
  readonly runCommand?: typeof runShellCommand;
}

export type TestJobOutcome = 'recorded' | 'duplicate' | 'stale' | 'cancelled' | 'aborted';

/**
 * Tests one commit with the command probe and records the verdict once. A
 * verdict is a result, never an error: only the machinery failing throws.
 */
export async function runTestJob(job: CommandTestJob, deps: TestJobDeps): Promise<TestJobOutcome> {
  const step = await loadStep(deps.store, job, deps.trust);
  if (step.kind !== 'ready') return step.kind;
  const { request, ref } = step;
  if (request.probe.type !== 'command') throw new InfrastructureError('a command test job for a bisection without a command probe');
  const probe = request.probe;
  const at = (): string => deps.now().toISOString();
  await recordStepStarted(deps.store, job, deps.attempt, at());

  const repo = await deps.openRepo(request.repo);
  const dir = join(deps.scratchDir, `${job.bisectionId}-${ref.commit.slice(0, 12)}-${ref.purpose}-${ref.run}-${process.pid}-${deps.attempt}`);
  const worktree = await repo.addWorktree(ref.commit, dir);
  if (ref.revert) {
    try {
      await repo.revertInWorktree(dir, ref.revert);
    } catch (err) {
      await worktree.remove();
      await recordRevertUnavailable(deps.store, job, `reverting ${ref.revert} conflicts: ${err instanceof Error ? err.message : String(err)}`, at());
      return 'recorded';
    }
  }
  // 'force' tests every commit with the blocking dependency dropped; 'narrow' only its own runs.
  const required = requiredSymbolsOf(probe, request.options);
  const forcing = required.length > 0 && forcesRun(untestableModeOf(probe), ref.purpose);
  let forced: string[] = [];
  try {
    if (forcing) forced = await dropBrokenDependencies(dir, required);
  } catch (err) {
    await worktree.remove();
    throw new InfrastructureError(`dropping BROKEN for ${required.join(', ')} in the worktree of ${ref.commit}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const controller = new AbortController();
  const poll = setInterval(() => {
    deps.store.isCancelled(job.bisectionId).then(
      (c) => c && controller.abort(),
      () => undefined,
    );
  }, deps.cancelPollMs ?? 1000);
  let result;
  try {
    result = await (deps.runCommand ?? runShellCommand)(probe.command, {
      cwd: dir,
      timeoutMs: (probe.timeoutSec ?? deps.defaultTimeoutSec) * 1000,
      signal: controller.signal,
      env: { KBISECT_COMMIT: ref.commit, KBISECT_BISECTION: job.bisectionId },
    });
  } finally {
    clearInterval(poll);
    await worktree.remove();
  }
  if (result.kind === 'cancelled') return 'cancelled';
  if (result.kind === 'timed-out') throw new InfrastructureError(`test of ${ref.commit} timed out`);
  const evidence = await deps.store.putEvidence(job.bisectionId, `test-${stepNames.suffix(job)}`, result.output);
  let outcome = verdictFromExit(result.kind === 'exited' ? result.exitCode : undefined, result.kind === 'signalled' ? result.signal : undefined);
  // As git bisect run does: a 126/127 on the bisection's first test is re-run at a good commit.
  const state = step.loaded.replayed.phase === 'bisecting' ? step.loaded.replayed.state : undefined;
  if (state && needsCannotRunRecheck(outcome, !state.history.some((r) => r.source === 'probe'))) {
    const good = goodForRecheck(state);
    const goodTree = await repo.addWorktree(good, `${dir}-recheck`);
    let atGood;
    try {
      atGood = await (deps.runCommand ?? runShellCommand)(probe.command, { cwd: `${dir}-recheck`, timeoutMs: (probe.timeoutSec ?? deps.defaultTimeoutSec) * 1000, signal: controller.signal, env: { KBISECT_COMMIT: good, KBISECT_BISECTION: job.bisectionId } });
    } finally {
      await goodTree.remove();
    }
    if (atGood.kind === 'cancelled') return 'cancelled';
    const goodOutcome = atGood.kind === 'timed-out' ? { kind: 'abort' as const, reason: 'it timed out' } : verdictFromExit(atGood.kind === 'exited' ? atGood.exitCode : undefined, atGood.kind === 'signalled' ? atGood.signal : undefined);
    outcome = cannotRunRecheck(outcome, { commit: ref.commit, good }, goodOutcome);
  }
  if (outcome.kind === 'abort') {
    await recordStepFailed(deps.store, job, `${ref.commit}: ${outcome.reason}`, at());
    return 'aborted';
  }
  const recorded = await recordVerdict(deps.store, job, { verdict: outcome.verdict, reason: forcedReason(forced, outcome.reason), durationMs: result.durationMs, evidence }, at());
  return recorded ? 'recorded' : 'duplicate';
}
