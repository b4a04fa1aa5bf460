import { cannotRunRecheck, type ProbeOutcome } from '@kbisect/bisect';
import type { RunDeps } from './run-ports.js';

/**
 * git bisect run's re-check of a first 126/127: the command runs once more in
 * the worktree moved to the good commit git would pick (`goodForRecheck`); {@link cannotRunRecheck}
 * decides whether the first outcome stands or the bisection aborts.
 */
export async function recheckAtGood(first: ProbeOutcome & { kind: 'verdict' }, commit: string, good: string, deps: Pick<RunDeps, 'checkout' | 'probe'>): Promise<ProbeOutcome> {
  // The bisection's one worktree visits the good commit; the next step's checkout puts it back.
  await deps.checkout.checkout(good);
  const atGood = await deps.probe.test(good, deps.checkout.dir);
  return cannotRunRecheck(first, { commit, good }, atGood);
}
