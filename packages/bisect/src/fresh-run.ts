import { runRef, type RunPurpose, type RunRef } from './run-ref.js';
import type { BisectState } from './state.js';

/**
 * The lowest run index of `commit` for `purpose` that no run handed out so
 * far has used: after several runs at once, counting verdicts is not enough
 * (a cancelled run may never land, a later one may land first), and a reused
 * index would make a new run's verdict look like a replay of an old one.
 * `also`: runs picked in the same step. The run waiting one at a time
 * (`pending`) is not counted: asked again, the engine names it again.
 */
export function freshRun(state: BisectState, commit: string, purpose: RunPurpose, also: readonly RunRef[] = []): number {
  let next = 0;
  const see = (r: RunRef): void => {
    if (r.commit === commit && r.purpose === purpose && r.run >= next) next = r.run + 1;
  };
  for (const r of state.history) if (r.source !== 'start' && r.source !== 'untestable') see(runRef(r));
  for (const r of [...(state.inFlight ?? []), ...(state.moot ?? []), ...also]) see(r);
  return next;
}
