import { next, startBisection, type StartParams } from '../reducer.js';
import type { BisectState, RunPurpose, Step, Verdict } from '../state.js';

export interface SimulationOutcome {
  readonly state: BisectState;
  /** Commits handed to the probe, in order (one entry per run). */
  readonly tested: readonly string[];
}

export interface RunContext {
  readonly run: number;
  readonly purpose: RunPurpose;
  /** Set for a revert check: the commit reverted on top of the tested one. */
  readonly revert?: string;
}

/** Runs a whole bisection against an oracle, as a probe driver would: every test command, verification and revert checks included. */
export function simulate(params: StartParams, oracle: (sha: string, ctx: RunContext) => Verdict): SimulationOutcome {
  let step: Step = startBisection(params);
  const tested: string[] = [];
  for (let guard = 0; guard < 1_000_000; guard++) {
    const cmd = step.commands[0];
    if (cmd === undefined || cmd.type !== 'test') return { state: step.state, tested };
    tested.push(cmd.commit);
    const ctx: RunContext = { run: cmd.run ?? 0, purpose: cmd.purpose ?? 'bisect', ...(cmd.revert ? { revert: cmd.revert } : {}) };
    step = next(step.state, { type: 'verdict', commit: cmd.commit, verdict: oracle(cmd.commit, ctx), run: ctx.run, purpose: ctx.purpose });
  }
  throw new Error('simulation did not terminate');
}
