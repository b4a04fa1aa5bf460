import { readFile } from 'node:fs/promises';
import type { ArtifactCache } from '@kbisect/kbuild';
import { buildKernel, loadFragments } from '@kbisect/kbuild';
import { forcesRun, requiredSymbolsOf, stepNames, untestableModeOf, type BuildJob, type LabTestJob, type UntestableMode } from '@kbisect/service';
import type { RunPurpose } from '@kbisect/bisect';
import type { Sandbox } from '@kbisect/sandbox';
import { recordRevertUnavailable, recordStepStarted, recordVerdict } from './record-step.js';
import type { KernelPublisher } from './kernel-publisher.js';
import type { OpenRepo } from './repo-port.js';
import { loadStep } from './step-context.js';
import type { RequestTrust } from './request-trust.js';
import type { StepStore } from './step-store.js';
import { treeWorkDir } from './tree-work-dir.js';

export interface BuildJobDeps {
  readonly store: StepStore;
  /** What this worker allows and the key to check the API's signature (request-trust.ts). */
  readonly trust: RequestTrust;
  readonly openRepo: OpenRepo;
  readonly cache: ArtifactCache;
  /** This build slot's directory: per tree, one worktree and per-config build dirs, kept between steps. */
  readonly workDir: string;
  readonly jobs: number;
  readonly ccacheDir: string;
  /** Where every make of the submitted tree runs. */
  readonly sandbox: Sandbox;
  readonly enqueueTest: (job: LabTestJob) => Promise<void>;
  readonly now: () => Date;
  readonly attempt: number;
  /** Where kernel-configs/ lives. @defaultValue the repository's */
  readonly fragmentDir?: string;
  /** Where built kernels go for lab hosts (the artifact store). @defaultValue none: the lab reads the paths (one host) */
  readonly publisher?: KernelPublisher;
  /** The kernel build; a unit test of the job replaces it. @defaultValue buildKernel (make in this slot's worktree) */
  readonly build?: typeof buildKernel;
}

/** A `narrow` run is built forced (BROKEN dropped, its own cache entry); every other run of a narrowing bisection honestly. */
export function buildModeOf(mode: UntestableMode, purpose: RunPurpose): 'skip' | 'force' {
  return forcesRun(mode, purpose) ? 'force' : 'skip';
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
  const fragments = await loadFragments(probe.configFragments, deps.fragmentDir);
  const repo = await deps.openRepo(request.repo);
  const started = Date.now();
  const outcome = await (deps.build ?? buildKernel)(repo, deps.cache, treeWorkDir(deps.workDir, request.repo), { commit: ref.commit, fragments, required, jobs: deps.jobs, ccacheDir: deps.ccacheDir, sandbox: deps.sandbox, untestable: buildModeOf(untestableModeOf(probe), ref.purpose), ...(ref.revert ? { revert: ref.revert } : {}) });
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
  return 'built';
}

