import type { BisectionStore } from '@kbisect/service';
import type { SharedResults } from './dispatch-round.js';
import { publicReason } from './public-reason.js';

/**
 * Ends a bisection `failed` with the reason, once: the `failed` event says
 * why (GET's error, watch, report) and `finished` ends it. For a job whose
 * retries ran out, or that cannot succeed — nothing may stay `queued` or
 * `running` with no job left to move it.
 */
export interface FailDeps {
  readonly store: BisectionStore;
  readonly now: () => Date;
  readonly cacheDir?: string;
  /** Releases the bisection's artifact-store pins. @defaultValue none */
  readonly releasePins?: (bisectionId: string) => Promise<void>;
  /** The shared verdict cache: an ended bisection gives up its claims. @defaultValue none (no sharing) */
  readonly shared?: Pick<SharedResults, 'cache' | 'wake'>;
}

/**
 * Releases an ended bisection's artifact-store pins. A store that cannot be
 * reached does not hold up the end: its pins lapse after the store's TTL.
 */
export async function releasePinsOf(deps: Pick<FailDeps, 'releasePins'>, id: string): Promise<void> {
  await deps.releasePins?.(id).catch(() => undefined);
}

/**
 * Gives up every run an ended bisection still claimed in the shared cache and
 * wakes the bisections that waited for them: they test those runs themselves.
 * However it ended (answered, cancelled, failed by a job out of retries) —
 * a claim left behind would keep its waiters until the lease ran out.
 */
export async function releaseClaimsOf(deps: Pick<FailDeps, 'shared'>, id: string): Promise<void> {
  if (deps.shared) await deps.shared.wake(await deps.shared.cache.releaseAll(id));
}

export async function failBisection(deps: FailDeps, id: string, message: string): Promise<boolean> {
  const { fold, replayed } = await deps.store.load(id);
  if (fold.finished) {
    // Ended already (maybe by a pass that crashed before it let go of its claims): releasing again is harmless.
    await releaseClaimsOf(deps, id);
    return false;
  }
  const error = publicReason(message, fold.created, deps.cacheDir);
  const at = deps.now().toISOString();
  // Before the start the fold reads the first `failed` as the reason it never started; after it, as the engine's failure.
  await deps.store.log.appendOnce(id, replayed.phase === 'bisecting' ? 'failed-job' : 'failed-start', { type: 'failed', at, error });
  await deps.store.log.appendOnce(id, 'finished', { type: 'finished', at, status: 'failed', error });
  // Folded (and the fold stored) here, as an orchestration pass would: the API leaves a big range's engine steps to us.
  await deps.store.load(id);
  await deps.store.setStatus(id, 'failed');
  await releaseClaimsOf(deps, id);
  await releasePinsOf(deps, id);
  return true;
}
