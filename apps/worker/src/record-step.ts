import { runFields, runRef, terminalMessage, type Verdict } from '@kbisect/bisect';
import { stepNames, type StepJob } from '@kbisect/service';
import type { StepStore } from './step-store.js';

/** What a finished run says, whichever job kind produced it (a build's skip, a command's exit, a lab boot). */
export interface RunVerdict {
  readonly verdict: Verdict;
  readonly reason: string;
  readonly durationMs: number;
  /** Stored evidence names (GET …/evidence/<name>). */
  readonly evidence?: string;
  readonly buildEvidence?: string;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly machine?: string;
}

/** Announces a step (watchers show it as the current one). */
export async function recordStepStarted(store: StepStore, job: StepJob, attempt: number, at: string): Promise<void> {
  await store.log.append(job.bisectionId, {
    type: 'step-started', at, ...runFields(runRef(job)), attempt,
    progress: job.progress ?? { candidatesLeft: 0, testableLeft: 0, stepsLeft: 0, tested: 0 },
    ...(job.subject !== undefined ? { subject: job.subject } : {}),
  });
}

/** Says where a run is being tested (watch and the view show the runs in flight by machine). */
export async function recordRunPlaced(store: StepStore, job: StepJob, machine: string, at: string): Promise<void> {
  await store.log.append(job.bisectionId, { type: 'run-placed', at, ...runFields(runRef(job)), machine });
}

/**
 * The one place a verdict is recorded, for all three job kinds: once per run
 * (an append-once token named after the run), so a retried or duplicated job
 * never counts twice. Returns false when the run already had its verdict.
 */
export async function recordVerdict(store: StepStore, job: StepJob, v: RunVerdict, at: string): Promise<boolean> {
  const { revert: _revert, ...fields } = runFields(runRef(job));
  const appended = await store.log.appendOnce(job.bisectionId, stepNames.verdictToken(job), {
    type: 'verdict', at, ...fields, source: 'probe',
    verdict: v.verdict, reason: v.reason, durationMs: v.durationMs,
    ...(v.evidence !== undefined ? { evidence: v.evidence } : {}),
    ...(v.buildEvidence !== undefined ? { buildEvidence: v.buildEvidence } : {}),
    ...(v.metrics !== undefined ? { metrics: { ...v.metrics } } : {}),
    ...(v.machine !== undefined ? { machine: v.machine } : {}),
  });
  return appended !== undefined;
}

/** A revert that cannot be applied: the engine records the check as unavailable (once per culprit). */
export async function recordRevertUnavailable(store: StepStore, job: StepJob, reason: string, at: string): Promise<void> {
  await store.log.appendOnce(job.bisectionId, `revert-unavailable:${job.revert ?? ''}`, { type: 'revert-unavailable', at, reason });
}

/** Ends the bisection with a message that is not the code under test's fault (a user or configuration error). */
export async function recordStepFailed(store: StepStore, job: StepJob, message: string, at: string): Promise<void> {
  await store.log.appendOnce(job.bisectionId, `step-failed:${stepNames.suffix(job)}`, { type: 'failed', at, error: message });
}

/**
 * The error taxonomy applied to a step: an infrastructure error is thrown on
 * (BullMQ retries it); a user or configuration error ends the bisection with
 * its message, since trying again would fail the same way.
 */
export async function endOnTerminalError<T>(store: StepStore, job: StepJob, now: () => Date, work: () => Promise<T>): Promise<T | 'aborted'> {
  try {
    return await work();
  } catch (err) {
    const message = terminalMessage(err);
    if (message === undefined) throw err;
    await recordStepFailed(store, job, message, now().toISOString());
    return 'aborted';
  }
}
