import { readFile } from 'node:fs/promises';
import { BuildInfraError } from '@kbisect/kbuild';
import { requiredSymbolsOf, stepNames, type BuildJob, type LabTestJob } from '@kbisect/service';
import type { KernelPublisher } from './kernel-publisher.js';
import { recordRevertUnavailable, recordStepStarted, recordVerdict } from './record-step.js';
import { loadStep } from './step-context.js';
import type { RequestTrust } from './request-trust.js';
import { buildRunKernel, type KernelBuildSlot } from './run-kernel-build.js';
import type { StepStore } from './step-store.js';

export { buildModeOf } from './run-kernel-build.js';

export interface BuildJobDeps extends KernelBuildSlot {
  readonly store: StepStore;
  /** What this worker allows and the key to check the API's signature (request-trust.ts). */
  readonly trust: RequestTrust;
  readonly enqueueTest: (job: LabTestJob) => Promise<void>;
  /** Called once the kernel went to the lab: the build queue may now build ahead of this run's verdict. */
  readonly handedOff?: (job: BuildJob) => Promise<void>;
  readonly now: () => Date;
  readonly attempt: number;
  /** Where built kernels go for lab hosts (the artifact store). @defaultValue none: the lab reads the paths (one host) */
  readonly publisher?: KernelPublisher;
}

export type BuildJobOutcome = 'built' | 'recorded' | 'duplicate' | 'stale';

/**
 * The first half of a kernel-probe step: build the commit's kernel (or take
 * it from the artifact cache) and hand it to the lab queue. A kernel that
 * cannot be built or configured is a `skip` recorded here, with the build
 * log as evidence; a broken build machine throws and is retried.
 */
export async function runBuildJob(job: BuildJob, deps: BuildJobDeps): Promise<BuildJobOutcome> {
  const step = await loadStep(deps.store, job, deps.trust);
  if (step.kind !== 'ready') return step.kind;
  const { request, ref } = step;
  if (request.probe.type !== 'kernel') throw new Error('a build job for a bisection without a kernel probe');
  const probe = request.probe;
  const at = (): string => deps.now().toISOString();
  await recordStepStarted(deps.store, job, deps.attempt, at());
  const required = requiredSymbolsOf(probe, request.options);
  await deps.store.log.append(job.bisectionId, { type: 'step-progress', at: at(), commit: job.commit, phase: 'build', message: `building with ${probe.configFragments.join(' + ') || 'tinyconfig'}${required.length ? `, requiring ${required.join(' ')}` : ''}` });
  const started = Date.now();
  const outcome = await buildRunKernel({ ...request, probe }, ref, deps);
  // Only a build ahead is given a signal: a step's own build is never cancelled this way.
  if (outcome.kind === 'cancelled') throw new BuildInfraError(`${ref.commit}: the build was stopped`);
  if (outcome.kind === 'revert-failed') {
    // The engine records the check as unavailable and finishes; the bad end keeps its verdicts.
    await recordRevertUnavailable(deps.store, job, outcome.reason, at());
    return 'recorded';
  }
  const logText = await readFile(outcome.kind === 'built' ? outcome.artifacts.log : outcome.log, 'utf8').catch(() => '(no build log)');
  const buildEvidence = await deps.store.putEvidence(job.bisectionId, `build-${stepNames.suffix(job)}`, logText);
  if (outcome.kind === 'skip') {
    await recordVerdict(deps.store, job, { verdict: 'skip', reason: `build: ${outcome.reason}`, durationMs: Date.now() - started, buildEvidence }, at());
    return 'recorded';
  }
  const { artifacts } = outcome;
  await deps.store.log.append(job.bisectionId, {
    type: 'step-progress', at: at(), commit: job.commit, phase: 'build',
    message: outcome.fromCache ? `kernel from the artifact cache (${String(artifacts.meta.configHash ?? '').slice(0, 12)})` : `built in ${outcome.seconds.toFixed(0)} s${outcome.forced.length ? `, forced: ${outcome.forced.join(', ')}` : ''}`,
  });
  // Published before the lab hears of it: a lab job never names an artifact the store does not hold.
  const artifact = deps.publisher ? await deps.publisher.publish(job.bisectionId, artifacts) : undefined;
  await deps.enqueueTest({
    ...job,
    kind: 'lab-test',
    kernel: {
      bzImage: artifacts.bzImage,
      ...(artifact !== undefined ? { artifact } : {}),
      ...(artifacts.modules ? { modules: artifacts.modules } : {}),
      configHash: String(artifacts.meta.configHash ?? ''),
      fromCache: outcome.fromCache,
      buildSeconds: outcome.seconds,
      forced: [...outcome.forced],
      buildEvidence,
    },
  });
  await deps.handedOff?.(job);
  return 'built';
}

