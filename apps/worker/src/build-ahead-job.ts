import { runKey, runRef, type RunRef } from '@kbisect/bisect';
import type { BuildAheadJob } from '@kbisect/service';
import { stillUseful } from './build-ahead-plan.js';
import type { BuildAheadQueue } from './build-ahead-queue.js';
import { gateProblem, type RequestTrust } from './request-trust.js';
import { buildRunKernel, type KernelBuildSlot } from './run-kernel-build.js';
import type { StepStore } from './step-store.js';
import { UntrustedRequestError } from './untrusted-request-error.js';

export interface BuildAheadDeps extends KernelBuildSlot {
  readonly store: StepStore;
  readonly trust: RequestTrust;
  readonly queue: Pick<BuildAheadQueue, 'isDropped' | 'finished'>;
  readonly now: () => Date;
  /** How often a running build ahead asks whether it was dropped or the bisection cancelled. @defaultValue 1000 */
  readonly pollMs?: number;
}

/**
 * `built`: a new kernel is in the artifact cache; `cached`: it already was;
 * `moot`: no verdict still to come needs it, not built; `dropped`: it became
 * moot while building and was stopped; `unbuildable`: the step's own build
 * will record why; `stale`: the bisection is not running.
 */
export type BuildAheadOutcome = 'built' | 'cached' | 'moot' | 'dropped' | 'unbuildable' | 'stale';

const short = (sha: string): string => sha.slice(0, 12);
const named = (r: RunRef): string => `${short(r.commit)}${r.purpose === 'bisect' ? '' : ` (${r.purpose})`}`;

/**
 * A kernel built before its step asks for it, into the artifact cache only:
 * no step is started, no verdict recorded. When the verdict that needs it
 * lands, the step's own build finds it in the cache and the kernel goes to
 * the lab at once. Recorded as one progress line, so watchers see "built ahead".
 */
export async function runBuildAheadJob(job: BuildAheadJob, deps: BuildAheadDeps): Promise<BuildAheadOutcome> {
  try {
    return await buildAhead(job, deps);
  } finally {
    await deps.queue.finished(job);
  }
}

async function buildAhead(job: BuildAheadJob, deps: BuildAheadDeps): Promise<BuildAheadOutcome> {
  const loaded = await deps.store.load(job.bisectionId);
  const { created } = loaded.fold;
  if (loaded.replayed.phase !== 'bisecting' || !created) return 'stale';
  const { request } = created;
  if (request.probe.type !== 'kernel') return 'stale';
  // The tree's Makefile runs here too: the same check as a step's.
  const untrusted = gateProblem(job.bisectionId, created, deps.trust);
  if (untrusted) throw new UntrustedRequestError(untrusted);
  const ref = runRef(job);
  if (loaded.replayed.state.status !== 'running') return 'stale';
  if (!stillUseful(loaded.replayed.state).has(runKey(ref)) || (await deps.queue.isDropped(job))) return 'moot';
  const stop = new AbortController();
  const poll = setInterval(() => {
    void Promise.all([deps.queue.isDropped(job), deps.store.isCancelled(job.bisectionId)])
      .then(([dropped, cancelled]) => (dropped || cancelled) && stop.abort(), () => undefined);
  }, deps.pollMs ?? 1000);
  let outcome;
  try {
    outcome = await buildRunKernel({ ...request, probe: request.probe }, ref, deps, stop.signal);
  } finally {
    clearInterval(poll);
  }
  const progress = (message: string) => deps.store.log.append(job.bisectionId, { type: 'step-progress', at: deps.now().toISOString(), commit: ref.commit, phase: 'build', message });
  if (outcome.kind === 'cancelled') {
    await progress(`build ahead of ${named(ref)} stopped: no verdict still to come needs it`);
    return 'dropped';
  }
  if (outcome.kind !== 'built') return 'unbuildable';
  if (outcome.fromCache) return 'cached';
  await progress(`built ahead: ${named(ref)} in ${outcome.seconds.toFixed(0)} s, while ${named(runRef(job.after))} was tested`);
  return 'built';
}
