import { cannotRunRecheck, type ProbeOutcome } from '@kbisect/bisect';
import type { RunDeps } from './run-bisection.js';

/**
 * git bisect run's re-check of a first 126/127: the command runs once more in
 * a worktree of the good commit git would pick (`goodForRecheck`); {@link cannotRunRecheck}
 * decides whether the first outcome stands or the bisection aborts.
 */
export async function recheckAtGood(first: ProbeOutcome & { kind: 'verdict' }, commit: string, good: string, dir: string, deps: Pick<RunDeps, 'git' | 'probe'>): Promise<ProbeOutcome> {
  const worktree = await deps.git.addWorktree(good, dir);
  let atGood: ProbeOutcome;
  try {
    atGood = await deps.probe.test(good, dir);
  } finally {
    await worktree.remove();
  }
  return cannotRunRecheck(first, { commit, good }, atGood);
}
