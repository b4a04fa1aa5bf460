import { runKey, runRef, type RunRef } from '@kbisect/bisect';
import type { BisectionRequest, Grant, Loaded, StepJob } from '@kbisect/service';
import { needsOf, trustRefusal, type RequestTrust } from './request-trust.js';
import { UntrustedRequestError } from './untrusted-request-error.js';
import { WorkerRefusalError } from './worker-refusal-error.js';
import type { StepStore } from './step-store.js';

export type StepContext =
  | { readonly kind: 'stale' | 'duplicate' }
  | { readonly kind: 'ready'; readonly loaded: Loaded; readonly request: BisectionRequest; readonly grant: Grant | undefined; readonly ref: RunRef };

/**
 * Whether a step job still has work to do: the bisection is running and this
 * run (commit, purpose, run) has no verdict yet. Shared by every step role, so a
 * retried or duplicated job never records a second verdict.
 */
export async function loadStep(store: StepStore, job: StepJob, trust: RequestTrust): Promise<StepContext> {
  const loaded = await store.load(job.bisectionId);
  if (loaded.replayed.phase !== 'bisecting' || loaded.replayed.state.status !== 'running') return { kind: 'stale' };
  const ref = runRef(job);
  const key = runKey(ref);
  if (loaded.replayed.state.history.some((r) => r.source !== 'start' && runKey(r) === key)) return { kind: 'duplicate' };
  const { created } = loaded.fold;
  if (!created) return { kind: 'stale' };
  // Every step re-checks what the API vouched for: a job or log written straight into Redis does not run.
  const refused = trustRefusal(job.bisectionId, created, trust);
  if (refused) throw refused.byThisWorker ? new WorkerRefusalError(refused.reason, needsOf(created.request.probe)) : new UntrustedRequestError(refused.reason);
  return { kind: 'ready', loaded, request: created.request, grant: created.grant, ref };
}
