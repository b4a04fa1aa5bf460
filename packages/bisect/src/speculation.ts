import { next } from './reducer.js';
import { runFields, runKey, runRef, type RunRef } from './run-ref.js';
import type { BisectState, Step } from './state.js';

/** The runs the engine hands out next after one run's verdict, for each verdict it may bring. */
export interface RunsAfterVerdict {
  readonly good: readonly RunRef[];
  readonly bad: readonly RunRef[];
}

/** The runs a bisection has handed out and waits for: the multisection's in-flight runs, or git's one pending run. */
export function runsInFlight(state: BisectState): readonly RunRef[] {
  if (state.inFlight !== undefined) return state.inFlight;
  return state.pending ? [state.pending] : [];
}

/**
 * What the engine would start next if `run` came back good, and if it came
 * back bad (in the probe's words, as a verdict event says it), by stepping the
 * real reducer: the answer is exactly the run the bisection will ask for,
 * merges, skips, endpoint checks and verification included. Runs already in
 * flight are left out: they have their own jobs. A verdict the engine would
 * refuse, or one that ends the bisection, starts nothing.
 */
export function runsAfterVerdict(state: BisectState, run: RunRef): RunsAfterVerdict {
  const handedOut = new Set(runsInFlight(state).map((r) => runKey(r)));
  const started = (step: Step): RunRef[] => step.commands.flatMap((c) => (c.type === 'test' && !handedOut.has(runKey(c)) ? [runRef(c)] : []));
  const after = (verdict: 'good' | 'bad'): RunRef[] => (state.status === 'running' ? started(next(state, { type: 'verdict', ...runFields(run), verdict })) : []);
  return { good: after('good'), bad: after('bad') };
}

/**
 * Runs worth preparing ahead while `runs` are being tested (a build queue's
 * speculative work): for each, the runs its good and its bad verdict would
 * start, in that order, each once.
 */
export function speculativeRuns(state: BisectState, runs: readonly RunRef[]): RunRef[] {
  const seen = new Set<string>();
  const out: RunRef[] = [];
  for (const run of runs) {
    const after = runsAfterVerdict(state, run);
    for (const r of [...after.good, ...after.bad]) {
      const key = runKey(r);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}
