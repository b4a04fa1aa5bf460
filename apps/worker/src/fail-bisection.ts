import type { BisectionStore } from '@kbisect/service';
import { publicReason } from './public-reason.js';

/**
 * Ends a bisection `failed` with the reason, once: the `failed` event says
 * why (GET's error, watch, report) and `finished` ends it. For a job whose
 * retries ran out, or that cannot succeed — nothing may stay `queued` or
 * `running` with no job left to move it.
 */
export async function failBisection(deps: { readonly store: BisectionStore; readonly now: () => Date; readonly cacheDir?: string }, id: string, message: string): Promise<boolean> {
  const { fold, replayed } = await deps.store.load(id);
  if (fold.finished) return false;
  const error = publicReason(message, fold.created, deps.cacheDir);
  const at = deps.now().toISOString();
  // Before the start the fold reads the first `failed` as the reason it never started; after it, as the engine's failure.
  await deps.store.log.appendOnce(id, replayed.phase === 'bisecting' ? 'failed-job' : 'failed-start', { type: 'failed', at, error });
  await deps.store.log.appendOnce(id, 'finished', { type: 'finished', at, status: 'failed', error });
  await deps.store.setStatus(id, 'failed');
  return true;
}
