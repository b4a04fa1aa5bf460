import { next, startBisection, type StartParams } from '../reducer.js';
import { runRef, type RunRef } from '../run-ref.js';
import type { BisectState, Step, Verdict } from '../state.js';

export interface SimulationOutcome {
  readonly state: BisectState;
  /** Commits handed to the probe, in order (one entry per run). */
  readonly tested: readonly string[];
}

/** The run the oracle is asked about; `revert` is set for a revert check. */
export type RunContext = Omit<RunRef, 'commit'>;

/** Runs a whole bisection against an oracle, as a probe driver would: every test command, verification and revert checks included. */
export function simulate(params: StartParams, oracle: (sha: string, ctx: RunContext) => Verdict): SimulationOutcome {
  let step: Step = startBisection(params);
  const tested: string[] = [];
  for (let guard = 0; guard < 1_000_000; guard++) {
    const cmd = step.commands[0];
    if (cmd === undefined || cmd.type !== 'test') return { state: step.state, tested };
    tested.push(cmd.commit);
    const { commit: _commit, ...ctx } = runRef(cmd);
    step = next(step.state, { type: 'verdict', commit: cmd.commit, verdict: oracle(cmd.commit, ctx), run: ctx.run, purpose: ctx.purpose });
  }
  throw new Error('simulation did not terminate');
}
