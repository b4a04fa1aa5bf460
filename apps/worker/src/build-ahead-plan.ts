import { runKey, runsInFlight, speculativeRuns, type BisectState, type RunRef } from '@kbisect/bisect';
import type { BisectionRequest } from '@kbisect/service';

/** Builds ahead at most this many kernels per run under test (git's path needs two: one per verdict). */
export const MAX_AHEAD_PER_RUN = 4;

/** Two runs that boot the same kernel: same commit, same revert, and forced or not alike. */
const kernelOf = (r: RunRef): string => `${r.commit}:${r.revert ?? ''}:${r.purpose === 'narrow' ? 'forced' : ''}`;

/** Whether a bisection builds ahead: a kernel probe, the request did not opt out, the build worker allows it. */
export function buildsAhead(request: BisectionRequest, workerAllows: boolean): boolean {
  return workerAllows && request.probe.type === 'kernel' && request.options?.buildAhead !== false;
}

/**
 * The kernels worth building while `tested` is tested: those the engine
 * would ask for after its good and its bad verdict, except kernels a run in
 * flight already builds or boots (a flaky policy's next run of one commit
 * reuses its kernel).
 */
export function aheadOf(state: BisectState, tested: RunRef): RunRef[] {
  const busy = new Set(runsInFlight(state).map(kernelOf));
  const out: RunRef[] = [];
  for (const r of speculativeRuns(state, [tested])) {
    if (busy.has(kernelOf(r))) continue;
    busy.add(kernelOf(r));
    out.push(r);
    if (out.length === MAX_AHEAD_PER_RUN) break;
  }
  return out;
}

/**
 * The runs a build ahead may still serve: the ones in flight (the build
 * ahead became the step's own kernel) and the ones some verdict still to come
 * would ask for. Every other build ahead is moot. Nothing, once the
 * bisection stopped running.
 */
export function stillUseful(state: BisectState): Set<string> {
  if (state.status !== 'running') return new Set();
  const inFlight = runsInFlight(state);
  return new Set([...inFlight, ...speculativeRuns(state, inFlight)].map((r) => runKey(r)));
}
