import type { Policy, RunRef } from '@kbisect/bisect';
import type { RunSlot } from '@kbisect/service';

/**
 * Where a run meets the shared verdict cache: the slot it is answered from
 * (and shares with a running bisection, and gives its verdict to), or
 * undefined when the run is this bisection's own. A slot names a kernel —
 * the commit, plus the commit reverted on top for a revert check — so a
 * verdict counts for every run of the same kernel, whatever it was run for:
 * a bisect step of a commit answers another bisection's endpoint check or
 * verification of that commit, and the other way round. Pure.
 *
 * - Bisect runs: any policy (a flaky policy's run r is answered by cached
 *   run r: earlier runs as data).
 * - Endpoint checks and verification runs: a deterministic policy's only.
 *   A flaky policy's check or verification counts runs of its own, each
 *   once: runs shared with its bisect steps (the parent, the bad end tested
 *   twice) would be one observation counted in two roles, and a flaky check
 *   must never stand on one cached run.
 * - A revert check (`verify-revert`): only runs of the same commit with the
 *   same commit reverted.
 * - Calibration runs (flaky only) and forced runs (`narrow`: another
 *   kernel, BROKEN dropped, while the fingerprint names the honest build):
 *   never.
 */
export function sharedSlot(ref: RunRef, fingerprint: string, policy: Policy | undefined): RunSlot | undefined {
  const deterministic = policy === undefined || policy.kind === 'deterministic';
  const slot = { fingerprint, commit: ref.commit, run: ref.run };
  switch (ref.purpose) {
    case 'bisect':
      return ref.revert === undefined ? slot : undefined;
    case 'check-good':
    case 'check-bad':
    case 'verify-culprit':
    case 'verify-parent':
    case 'verify-bad':
      return deterministic && ref.revert === undefined ? slot : undefined;
    case 'verify-revert':
      return deterministic && ref.revert !== undefined ? { ...slot, revert: ref.revert } : undefined;
    case 'calibrate':
    case 'narrow':
      return undefined;
  }
}
