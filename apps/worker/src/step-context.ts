import type { RunPurpose } from '@kbisect/bisect';
import type { BisectionRequest, BisectionStore, Loaded, TestJob } from '@kbisect/service';

export type StepContext =
  | { readonly kind: 'stale' | 'duplicate' }
  | { readonly kind: 'ready'; readonly loaded: Loaded; readonly request: BisectionRequest; readonly purpose: RunPurpose; readonly run: number };

/**
 * Whether a step job still has work to do: the bisection is running and this
 * (commit, purpose, run) has no verdict yet. Shared by every step role, so a
 * retried or duplicated job never records a second verdict.
 */
export async function loadStep(store: BisectionStore, job: TestJob): Promise<StepContext> {
  const loaded = await store.load(job.bisectionId);
  if (loaded.replayed.phase !== 'bisecting' || loaded.replayed.state.status !== 'running') return { kind: 'stale' };
  const purpose: RunPurpose = job.purpose ?? 'bisect';
  const run = job.run ?? 0;
  if (loaded.replayed.state.history.some((r) => r.commit === job.commit && r.source !== 'start' && (r.purpose ?? 'bisect') === purpose && (r.run ?? 0) === run)) return { kind: 'duplicate' };
  const { created } = loaded.fold;
  if (!created) return { kind: 'stale' };
  return { kind: 'ready', loaded, request: created.request, purpose, run };
}

/** The name of a step's evidence and verdict token: the first bisect run is the bare commit. */
export function stepSuffix(job: TestJob): string {
  const purpose = job.purpose ?? 'bisect';
  const run = job.run ?? 0;
  return purpose === 'bisect' && run === 0 ? job.commit : `${job.commit}-${purpose}-${run}`;
}

export function verdictToken(job: TestJob): string {
  const purpose = job.purpose ?? 'bisect';
  const run = job.run ?? 0;
  return purpose === 'bisect' && run === 0 ? `verdict:${job.commit}` : `verdict:${job.commit}:${purpose}:${run}`;
}
