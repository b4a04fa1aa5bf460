import { join } from 'node:path';
import { cannotRunRecheck, goodForRecheck, needsCannotRunRecheck, verdictFromExit } from '@kbisect/bisect';
import type { BisectionStore, TestJob } from '@kbisect/service';
import { runShellCommand } from './command-runner.js';
import type { OpenRepo } from './repo-port.js';
import { loadStep, stepSuffix, verdictToken } from './step-context.js';

export interface TestJobDeps {
  readonly store: BisectionStore;
  readonly openRepo: OpenRepo;
  readonly scratchDir: string;
  readonly now: () => Date;
  /** @defaultValue 3600 s when the probe gives none */
  readonly defaultTimeoutSec: number;
  /** How often a running test checks for cancellation. @defaultValue 1000 */
  readonly cancelPollMs?: number;
  readonly attempt: number;
}

export type TestJobOutcome = 'recorded' | 'duplicate' | 'stale' | 'cancelled' | 'aborted';

/** Thrown for failures of the machinery, not of the code under test: BullMQ retries these. */
export class InfrastructureError extends Error {
  readonly code = 'KBISECT_ERR_INFRASTRUCTURE';
  constructor(message: string) {
    super(message);
    this.name = 'InfrastructureError';
  }
}

/**
 * Tests one commit with the command probe and records the verdict once. A
 * verdict is a result, never an error: only the machinery failing throws.
 */
export async function runTestJob(job: TestJob, deps: TestJobDeps): Promise<TestJobOutcome> {
  const step = await loadStep(deps.store, job);
  if (step.kind !== 'ready') return step.kind;
  const { request, purpose, run } = step;
  if (request.probe.type !== 'command') throw new InfrastructureError('a command test job for a bisection without a command probe');
  const probe = request.probe;

  await deps.store.log.append(job.bisectionId, {
    type: 'step-started',
    at: deps.now().toISOString(),
    commit: job.commit,
    ...(job.subject !== undefined ? { subject: job.subject } : {}),
    progress: job.progress ?? { candidatesLeft: 0, testableLeft: 0, stepsLeft: 0, tested: 0 },
    attempt: deps.attempt,
    ...(purpose !== 'bisect' ? { purpose } : {}),
    ...(job.revert ? { revert: job.revert } : {}),
  });

  const repo = await deps.openRepo(request.repo);
  const dir = join(deps.scratchDir, `${job.bisectionId}-${job.commit.slice(0, 12)}-${purpose}-${run}-${process.pid}-${deps.attempt}`);
  const worktree = await repo.addWorktree(job.commit, dir);
  if (job.revert) {
    try {
      await repo.revertInWorktree(dir, job.revert);
    } catch (err) {
      await worktree.remove();
      await deps.store.log.appendOnce(job.bisectionId, `revert-unavailable:${job.revert}`, { type: 'revert-unavailable', at: deps.now().toISOString(), reason: `reverting ${job.revert} conflicts: ${err instanceof Error ? err.message : String(err)}` });
      return 'recorded';
    }
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
    result = await runShellCommand(probe.command, {
      cwd: dir,
      timeoutMs: (probe.timeoutSec ?? deps.defaultTimeoutSec) * 1000,
      signal: controller.signal,
      env: { KBISECT_COMMIT: job.commit, KBISECT_BISECTION: job.bisectionId },
    });
  } finally {
    clearInterval(poll);
    await worktree.remove();
  }
  if (result.kind === 'cancelled') return 'cancelled';
  if (result.kind === 'timed-out') throw new InfrastructureError(`test of ${job.commit} timed out`);
  const evidence = await deps.store.putEvidence(job.bisectionId, `test-${stepSuffix(job)}`, result.output);
  const at = deps.now().toISOString();
  let outcome = verdictFromExit(result.kind === 'exited' ? result.exitCode : undefined, result.kind === 'signalled' ? result.signal : undefined);
  // As git bisect run does: a 126/127 on the bisection's first test is re-run at a good commit.
  const state = step.loaded.replayed.phase === 'bisecting' ? step.loaded.replayed.state : undefined;
  if (state && needsCannotRunRecheck(outcome, !state.history.some((r) => r.source === 'probe'))) {
    const good = goodForRecheck(state);
    const goodTree = await repo.addWorktree(good, `${dir}-recheck`);
    let atGood;
    try {
      atGood = await runShellCommand(probe.command, { cwd: `${dir}-recheck`, timeoutMs: (probe.timeoutSec ?? deps.defaultTimeoutSec) * 1000, signal: controller.signal, env: { KBISECT_COMMIT: good, KBISECT_BISECTION: job.bisectionId } });
    } finally {
      await goodTree.remove();
    }
    if (atGood.kind === 'cancelled') return 'cancelled';
    const goodOutcome = atGood.kind === 'timed-out' ? { kind: 'abort' as const, reason: 'it timed out' } : verdictFromExit(atGood.kind === 'exited' ? atGood.exitCode : undefined, atGood.kind === 'signalled' ? atGood.signal : undefined);
    outcome = cannotRunRecheck(outcome, { commit: job.commit, good }, goodOutcome);
  }
  if (outcome.kind === 'abort') {
    await deps.store.log.appendOnce(job.bisectionId, 'abort', { type: 'failed', at, error: `${job.commit}: ${outcome.reason}` });
    return 'aborted';
  }
  const appended = await deps.store.log.appendOnce(job.bisectionId, verdictToken(job), {
    type: 'verdict', at, commit: job.commit, verdict: outcome.verdict, reason: outcome.reason, source: 'probe', durationMs: result.durationMs, evidence,
    ...(run ? { run } : {}),
    ...(purpose !== 'bisect' ? { purpose } : {}),
  });
  return appended === undefined ? 'duplicate' : 'recorded';
}
