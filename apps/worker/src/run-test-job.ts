import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { cannotRunRecheck, goodForRecheck, needsCannotRunRecheck, verdictFromExit } from '@kbisect/bisect';
import { dropBrokenDependencies } from '@kbisect/kbuild';
import type { Sandbox } from '@kbisect/sandbox';
import { appliedTimeoutSec, forcesRun, requiredSymbolsOf, stepNames, untestableModeOf, type CommandTestJob } from '@kbisect/service';
import { forcedReason } from '@kbisect/service/driver';
import { runShellCommand } from './command-runner.js';
import { InfrastructureError } from './infrastructure-error.js';
import { recordRevertUnavailable, recordRunPlaced, recordStepFailed, recordStepStarted, recordVerdict } from './record-step.js';
import type { OpenRepo } from './repo-port.js';
import type { RequestTrust } from './request-trust.js';
import { loadStep } from './step-context.js';
import type { StepStore } from './step-store.js';
import type { TestCheckouts } from './test-checkouts.js';

export interface TestJobDeps {
  readonly store: StepStore;
  /** What this worker allows and the key to check the API's signature (request-trust.ts). */
  readonly trust: RequestTrust;
  readonly openRepo: OpenRepo;
  /** The worktrees tests run in: one per slot and repository, reused from job to job. */
  readonly checkouts: TestCheckouts;
  readonly now: () => Date;
  /** @defaultValue 3600 s when the probe gives none */
  readonly defaultTimeoutSec: number;
  /** How often a running test checks for cancellation. @defaultValue 1000 */
  readonly cancelPollMs?: number;
  readonly attempt: number;
  /** Where the probe's command runs (the worker's bwrap sandbox). */
  readonly sandbox: Sandbox;
  /** Directories the probe may read besides its worktree. @defaultValue none */
  readonly probeReadPaths?: readonly string[];
  /** Runs the probe's command. @defaultValue runShellCommand (in `sandbox`) */
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
  const { request, grant, ref } = step;
  if (request.probe.type !== 'command') throw new InfrastructureError('a command test job for a bisection without a command probe');
  const probe = request.probe;
  const at = (): string => deps.now().toISOString();
  await recordStepStarted(deps.store, job, deps.attempt, at());

  const repo = await deps.openRepo(request.repo);
  return deps.checkouts.use(request.repo, repo, async (checkout) => {
    // The checkout puts back this commit's exact tree, whatever the slot's last test, revert or forced edit left.
    await checkout.checkout(ref.commit);
    const { dir } = checkout;
    // The slot is this test's "machine": host and slot, as watch shows the runs in flight.
    await recordRunPlaced(deps.store, job, `${hostname()}/${basename(dirname(dir))}`, at());
    if (ref.revert) {
      try {
        await checkout.revert(ref.revert);
      } catch (err) {
        await recordRevertUnavailable(deps.store, job, `reverting ${ref.revert} conflicts: ${err instanceof Error ? err.message : String(err)}`, at());
        return 'recorded';
      }
    }
    // 'force' tests every commit with the blocking dependency dropped; 'narrow' only its own runs.
    const required = requiredSymbolsOf(probe, request.options);
    const forcing = required.length > 0 && forcesRun(untestableModeOf(probe), ref.purpose);
    let forced: string[] = [];
    try {
      if (forcing) forced = await dropBrokenDependencies(dir, required, { gitDir: repo.gitDir, commit: ref.commit });
    } catch (err) {
      throw new InfrastructureError(`dropping BROKEN for ${required.join(', ')} in the worktree of ${ref.commit}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const controller = new AbortController();
    const poll = setInterval(() => {
      deps.store.isCancelled(job.bisectionId).then(
        (c) => c && controller.abort(),
        () => undefined,
      );
    }, deps.cancelPollMs ?? 1000);
    const run = (commit: string): ReturnType<typeof runShellCommand> => (deps.runCommand ?? runShellCommand)(probe.command, {
      cwd: dir,
      timeoutMs: appliedTimeoutSec(request, grant, deps.defaultTimeoutSec) * 1000,
      signal: controller.signal,
      env: { KBISECT_COMMIT: commit, KBISECT_BISECTION: job.bisectionId },
      sandbox: deps.sandbox,
      gitDir: repo.gitDir,
      readPaths: deps.probeReadPaths ?? [],
      // Only a request that passed trustRefusal gets here: the worker allows the network and the signed grant says the token may.
      network: probe.network === true ? 'host' : 'none',
    });
    try {
      const result = await run(ref.commit);
      if (result.kind === 'cancelled') return 'cancelled';
      if (result.kind === 'timed-out') throw new InfrastructureError(`test of ${ref.commit} timed out`);
      const evidence = await deps.store.putEvidence(job.bisectionId, `test-${stepNames.suffix(job)}`, result.output);
      let outcome = verdictFromExit(result.kind === 'exited' ? result.exitCode : undefined, result.kind === 'signalled' ? result.signal : undefined);
      // As git bisect run does: a 126/127 on the bisection's first test is re-run at a good commit, in the same checkout.
      const state = step.loaded.replayed.phase === 'bisecting' ? step.loaded.replayed.state : undefined;
      if (state && needsCannotRunRecheck(outcome, !state.history.some((r) => r.source === 'probe'))) {
        const good = goodForRecheck(state);
        await checkout.checkout(good);
        const atGood = await run(good);
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
    } finally {
      clearInterval(poll);
    }
  });
}
