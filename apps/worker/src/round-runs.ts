import { isBisectRun, MAX_PARALLEL, runRef, type BisectState, type RunRef } from '@kbisect/bisect';

/**
 * A round's k: the tests the lab can take at once (ready machines of the
 * pool, or live test worker slots), never more than the request's
 * `maxParallel`, never fewer than one.
 */
export function roundK(ready: number, maxParallel: number | undefined): number {
  return Math.max(1, Math.min(ready, maxParallel ?? MAX_PARALLEL, MAX_PARALLEL));
}

/**
 * Flaky policies pick one run at a time, but the runs of one commit are
 * independent: while the engine waits for run r of a commit, runs r+1, r+2…
 * of it can go to the other k−1 machines. Only as many as the policy could
 * still need: `repeat` stops at `badAfter` showings or `goodAfter` clean
 * runs, `bayes` at its run budget. What lands after the engine moved on is
 * still data (repeat ignores runs of a decided commit; bayes counts them).
 */
export function extraRuns(state: BisectState, asked: readonly RunRef[], k: number): RunRef[] {
  const policy = state.policy;
  // With the engine placing several runs itself (state.parallel), it owns the round.
  if (!policy || policy.kind === 'deterministic' || k <= 1 || (state.parallel ?? 1) > 1) return [];
  const out: RunRef[] = [];
  for (const ask of asked) {
    if (ask.purpose !== 'bisect' || ask.revert !== undefined) continue;
    const want = Math.min(k, mayStillNeed(state, ask.commit)) - 1;
    const landed = new Set(state.history.filter((r) => r.commit === ask.commit && r.source === 'probe' && isBisectRun(r)).map((r) => runRef(r).run));
    const mine: RunRef[] = [];
    // Ends: the landed runs are finitely many.
    for (let run = ask.run + 1; mine.length < want; run++) if (!landed.has(run)) mine.push({ commit: ask.commit, purpose: 'bisect', run });
    out.push(...mine);
  }
  return out;
}

/** Runs of `commit` the policy may still ask for, the one it asked for included. */
function mayStillNeed(state: BisectState, commit: string): number {
  const policy = state.policy;
  const runs = state.history.filter((r) => r.commit === commit && r.source === 'probe' && isBisectRun(r) && r.verdict !== 'skip');
  if (policy?.kind === 'repeat') {
    const present = runs.filter((r) => r.verdict === 'bad').length;
    const absent = runs.length - present;
    if (present >= policy.badAfter || absent >= policy.goodAfter) return 0;
    return (policy.badAfter - present) + (policy.goodAfter - absent) - 1;
  }
  if (policy?.kind === 'bayes') {
    const used = state.history.filter((r) => r.source === 'probe' && (isBisectRun(r) || r.purpose === 'calibrate')).length;
    return Math.max(0, policy.maxRuns - used);
  }
  return 1;
}
