import { next, startBisection } from '../reducer.js';
import type { BisectState, Step, Verdict } from '../state.js';
import type { CommitGraph } from '../commit-graph.js';

export interface SimulationOutcome {
  readonly state: BisectState;
  /** Commits handed to the probe, in order. */
  readonly tested: readonly string[];
}

/** Runs a whole bisection against an oracle, as a probe would answer. */
export function simulate(
  params: { graph: CommitGraph; bad: string; goods: readonly string[]; firstParent?: boolean; untestable?: Readonly<Record<string, string>> },
  oracle: (sha: string) => Verdict,
): SimulationOutcome {
  let step: Step = startBisection(params);
  const tested: string[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    const cmd = step.commands[0];
    if (cmd === undefined || cmd.type !== 'test') return { state: step.state, tested };
    tested.push(cmd.commit);
    step = next(step.state, { type: 'verdict', commit: cmd.commit, verdict: oracle(cmd.commit) });
  }
  throw new Error('simulation did not terminate');
}
