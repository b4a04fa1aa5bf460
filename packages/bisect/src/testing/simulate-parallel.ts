import { next, startBisection, type StartParams } from '../reducer.js';
import { runFields, runKey, runRef, type RunRef } from '../run-ref.js';
import type { BisectState, Step, Verdict } from '../state.js';
import type { Random } from './seeded-random.js';
import type { RunContext } from './simulate.js';

export interface ParallelSimulation {
  readonly state: BisectState;
  /** Rounds of tests: every run started in one round ends before the next round starts. */
  readonly rounds: number;
  /** Runs started (builds and boots paid for). */
  readonly started: number;
  /** Of those, the ones cancelled as moot before their verdict was delivered. */
  readonly cancelled: number;
  /** Verdicts of cancelled runs delivered anyway (a cancel that lost the race). */
  readonly lateResults: number;
  /** Commands the engine rejected (must stay 0 for a consistent oracle). */
  readonly rejections: readonly string[];
}

export interface ParallelSimulationOptions {
  /** Shuffles the order verdicts of one round arrive in. */
  readonly random: Random;
  /** Chance that a cancelled run's verdict is delivered anyway. @defaultValue 0 */
  readonly lateResultRate?: number;
}

/**
 * Drives a multisection bisection in rounds, as a lab whose tests all take the
 * same time would: the runs of a round finish in a random order, each verdict
 * goes to the engine at once, runs it hands out meanwhile start next round,
 * and runs it cancels are dropped (or, at `lateResultRate`, land anyway).
 * The oracle is asked about each run (its purpose and run index too), so a
 * flaky reproducer can answer each run afresh.
 */
export function simulateParallel(params: StartParams, oracle: (sha: string, ctx: RunContext) => Verdict, options: ParallelSimulationOptions): ParallelSimulation {
  const { random } = options;
  let step: Step = startBisection(params);
  let round: RunRef[] = [];
  let upcoming: RunRef[] = [];
  const cancelled = new Set<string>();
  const rejections: string[] = [];
  let started = 0;
  let cancelledCount = 0;
  let lateResults = 0;
  const take = (s: Step): void => {
    for (const c of s.commands) {
      if (c.type === 'test') upcoming.push(runRef(c));
      else if (c.type === 'cancel-test') {
        const key = runKey(c);
        // Not started yet: simply never started. Running: cancelled.
        if (upcoming.some((r) => runKey(r) === key)) upcoming = upcoming.filter((r) => runKey(r) !== key);
        else cancelled.add(key);
      } else if (c.type === 'rejected') rejections.push(`${c.code}: ${c.message}`);
    }
  };
  take(step);
  let rounds = 0;
  while (upcoming.length > 0) {
    rounds++;
    round = shuffle(upcoming, random);
    started += round.length;
    upcoming = [];
    for (const ref of round) {
      const key = runKey(ref);
      if (cancelled.has(key)) {
        cancelledCount++;
        if (random() >= (options.lateResultRate ?? 0)) continue;
        lateResults++;
      }
      const { commit, ...ctx } = ref;
      step = next(step.state, { type: 'verdict', ...runFields(ref), verdict: oracle(commit, ctx) });
      take(step);
    }
  }
  return { state: step.state, rounds, started, cancelled: cancelledCount, lateResults, rejections };
}

function shuffle<T>(xs: readonly T[], random: Random): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
