import { candidatesOf, disputedOffers, type RunRef } from '@kbisect/bisect';
import type { CachedRun, Loaded as LoadedBisection, VerdictCache } from '@kbisect/service';

/** A cached verdict of a commit a deterministic search still needs. */
export interface KnownVerdict {
  readonly ref: RunRef;
  readonly cached: CachedRun;
}

/**
 * The cached verdicts (run 0) of commits still among a deterministic
 * search's candidates and not decided here, and, by commit, why those that
 * contradict each other are disputed (a bad commit a good one contains: one
 * of the two is wrong, and taking either could name a wrong culprit).
 */
export async function cachedCandidates(loaded: LoadedBisection, fingerprint: string, cache: VerdictCache): Promise<{ found: KnownVerdict[]; disputed: Map<string, string> }> {
  if (loaded.replayed.phase !== 'bisecting' || loaded.replayed.state.policy !== undefined) return { found: [], disputed: new Map() };
  const state = loaded.replayed.state;
  const known = await cache.knownCommits(fingerprint);
  if (known.length === 0) return { found: [], disputed: new Map() };
  const candidates = new Set(candidatesOf(state));
  const decided = new Set(state.history.map((r) => r.commit));
  const wanted = known.filter((commit) => candidates.has(commit) && !decided.has(commit) && commit !== state.bad);
  const runs = await cache.lookupAll(wanted.map((commit) => ({ fingerprint, commit, run: 0 })));
  const found: KnownVerdict[] = wanted.flatMap((commit, i) => {
    const cached = runs[i];
    return cached ? [{ ref: { commit, purpose: 'bisect' as const, run: 0 }, cached }] : [];
  });
  const clashing = disputedOffers(state, found.map(({ ref, cached }) => ({ commit: ref.commit, verdict: cached.verdict })));
  const said = found.filter((f) => clashing.has(f.ref.commit)).map((f) => `${f.ref.commit.slice(0, 12)} ${f.cached.verdict} (from ${f.cached.bisection})`);
  const why = `shared results contradict each other: ${said.join(', ')}; tested here instead`;
  return { found, disputed: new Map([...clashing].map((c) => [c, why])) };
}
