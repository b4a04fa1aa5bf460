import { contradictedBy, isBisectRun, runRef } from '@kbisect/bisect';
import type { Loaded as LoadedBisection } from '@kbisect/service';

/**
 * Why a deterministic bisection must stop: one of its own tests (refused by
 * the engine) contradicts a verdict it took from the shared cache — with
 * several runs in flight, a run tested here can land after a reused verdict
 * made it moot and say the opposite (a bad commit the reused good one
 * contains). The engine keeps the first word, so going on would trust the
 * cache over this bisection's own test and could name a wrong culprit;
 * the log cannot un-take the reused verdict, so the honest end is a failure
 * naming both and where the reused one came from. Undefined when there is
 * no such clash.
 */
export function reuseContradiction(loaded: LoadedBisection): string | undefined {
  const { replayed, fold } = loaded;
  if (replayed.phase !== 'bisecting' || replayed.state.policy !== undefined) return undefined;
  const reused = Object.values(fold.runs).filter((v) => v.reused !== undefined && isBisectRun(v));
  if (reused.length === 0) return undefined;
  for (const { event, message } of replayed.ignored) {
    if (event.type !== 'verdict' || event.source !== 'probe' || event.reused !== undefined || !isBisectRun(runRef(event))) continue;
    const against = new Set(contradictedBy(replayed.state, event.commit, event.verdict));
    const taken = reused.find((v) => against.has(v.commit));
    if (taken?.reused) {
      return `shared results contradict this bisection's own test: ${event.commit} tested ${event.verdict} here, but ${taken.commit} was taken as ${taken.verdict} from bisection ${taken.reused.bisection} (${message}); stopped rather than name a culprit either could be wrong about — submit again with reuse: false, or mark ${taken.reused.bisection}'s result invalid`;
    }
  }
  return undefined;
}
