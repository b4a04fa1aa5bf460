import { runFields, runKey } from '@kbisect/bisect';
import { stepNames, type Loaded as LoadedBisection } from '@kbisect/service';
import { cachedCandidates } from './cached-candidates.js';
import { reusedVerdict, sharingFingerprint, type RoundDeps } from './dispatch-round.js';

/**
 * Before picking the next commits of a deterministic search, takes every
 * cached verdict of a commit still among the candidates, as if those runs
 * had just landed: a later bisection over an overlapping range starts where
 * the earlier one's tests already put it, instead of meeting them only when
 * its own midpoints happen to coincide. Disputed ones are left for this
 * bisection to test (once its own verdicts put one side out of the
 * candidates, the other is taken). Goods first, then bads newest first
 * (rev-list order), so each is consistent with the bounds the earlier ones
 * set. Returns true when something was taken (the engine moved).
 */
export async function takeKnownVerdicts(id: string, loaded: LoadedBisection, k: number, deps: RoundDeps): Promise<boolean> {
  const fp = sharingFingerprint(loaded, deps.shared);
  if (fp === undefined || !deps.shared || loaded.replayed.phase !== 'bisecting') return false;
  const { found: all, disputed } = await cachedCandidates(loaded, fp, deps.shared.cache);
  const found = all.filter((f) => !disputed.has(f.ref.commit));
  if (found.length === 0) return false;
  const order = new Map(loaded.replayed.state.graph.commits.map((sha, i) => [sha, i]));
  found.sort((a, b) => (a.cached.verdict === b.cached.verdict ? order.get(a.ref.commit)! - order.get(b.ref.commit)! : a.cached.verdict === 'good' ? -1 : 1));
  const at = deps.now().toISOString();
  await deps.store.log.appendOnce(id, `round:${runKey(found[0]!.ref)}:reused`, { type: 'round', at, n: loaded.fold.rounds.length + 1, k, runs: found.map(({ ref, cached }) => ({ ...runFields(ref), via: 'reused' as const, from: cached.bisection })) });
  let taken = false;
  // A verdict the engine refused (an inconsistent cache) keeps its token: it is never offered again, so this ends.
  for (const { ref, cached } of found) taken = (await deps.store.log.appendOnce(id, stepNames.verdictToken(ref), reusedVerdict(ref, cached, at))) !== undefined || taken;
  return taken;
}
