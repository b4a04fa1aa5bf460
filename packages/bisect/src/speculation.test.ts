import { describe, expect, it } from 'vitest';
import { next, startBisection, type StartParams } from './reducer.js';
import { runKey, runRef, type RunRef } from './run-ref.js';
import { runsAfterVerdict, runsInFlight, speculativeRuns } from './speculation.js';
import type { Step, Verdict } from './state.js';
import { deterministicOracle, fakeSha, generateHistory, graphOf, linearHistory, seededRandom } from './testing/index.js';

const started = (s: Step): RunRef[] => s.commands.flatMap((c) => (c.type === 'test' ? [runRef(c)] : []));
const keys = (runs: readonly RunRef[]): string[] => runs.map((r) => runKey(r)).sort();

/**
 * Walks a whole bisection with a deterministic oracle; before each verdict is
 * applied, asks what each outcome would start, then checks the engine's real
 * step against the prediction for the verdict that came. Returns how many
 * predictions were checked.
 */
function walkChecking(params: StartParams, verdictOf: (sha: string) => Verdict): number {
  let step = startBisection(params);
  let checked = 0;
  for (let i = 0; i < 500 && step.state.status === 'running'; i++) {
    const run = runsInFlight(step.state)[0];
    if (!run) break;
    const predicted = runsAfterVerdict(step.state, run);
    const verdict = verdictOf(run.commit);
    const after = next(step.state, { type: 'verdict', commit: run.commit, purpose: run.purpose, run: run.run, verdict });
    if (verdict !== 'skip') {
      const handedOut = new Set(runsInFlight(step.state).map((r) => runKey(r)));
      expect(keys(predicted[verdict])).toEqual(keys(started(after).filter((r) => !handedOut.has(runKey(r)))));
      checked++;
    }
    step = after;
  }
  expect(step.state.status).not.toBe('running');
  return checked;
}

describe('speculation: the next runs for either verdict', () => {
  it('on a linear range of 16 candidates, git tests 8; a good verdict goes on to 12, a bad one to 4', () => {
    const { graph, good, bad } = graphOf(linearHistory(17));
    const step = startBisection({ graph, bad, goods: [good] });
    const first = runsInFlight(step.state)[0]!;
    expect(first.commit).toBe(fakeSha(8));
    const after = runsAfterVerdict(step.state, first);
    expect(after.good.map((r) => r.commit)).toEqual([fakeSha(12)]);
    expect(after.bad.map((r) => r.commit)).toEqual([fakeSha(4)]);
    expect(speculativeRuns(step.state, [first]).map((r) => r.commit)).toEqual([fakeSha(12), fakeSha(4)]);
  });

  it('a verdict that answers the bisection starts nothing for that outcome; a finished bisection speculates nothing', () => {
    const { graph, good, bad } = graphOf(linearHistory(3));
    const step = startBisection({ graph, bad, goods: [good] });
    const only = runsInFlight(step.state)[0]!;
    expect(runsAfterVerdict(step.state, only)).toEqual({ good: [], bad: [] });
    const done = next(step.state, { type: 'verdict', commit: only.commit, verdict: 'bad' });
    expect(done.state.status).toBe('found');
    expect(speculativeRuns(done.state, [only])).toEqual([]);
  });

  it('with the ends checked first, a bad end that shows the bug goes on to the good end\'s check; one that passes ends the bisection', () => {
    const { graph, good, bad } = graphOf(linearHistory(9));
    const step = startBisection({ graph, bad, goods: [good], checkEndpoints: true });
    const check = runsInFlight(step.state)[0]!;
    expect(check.purpose).toBe('check-bad');
    const after = runsAfterVerdict(step.state, check);
    expect(after.bad.map((r) => r.purpose)).toEqual(['check-good']);
    // The bad end passing the reproducer stops the bisection: nothing to build ahead.
    expect(after.good).toEqual([]);
  });

  it('matches the engine\'s real step at every verdict on generated DAGs with merges (k = 1 and k = 3)', () => {
    let checked = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const random = seededRandom(seed);
      const history = generateHistory(random, { commits: 300 });
      const { graph, good, bad } = graphOf(history);
      const culprit = 1 + Math.floor(random() * (history.parents.length - 2));
      const oracle = deterministicOracle(history, culprit);
      for (const parallel of [1, 3]) checked += walkChecking({ graph, bad, goods: [good], parallel }, oracle);
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('runs already in flight are never speculated again (multisection hands out several at once)', () => {
    const { graph, good, bad } = graphOf(linearHistory(33));
    const step = startBisection({ graph, bad, goods: [good], parallel: 3 });
    const inFlight = runsInFlight(step.state);
    expect(inFlight).toHaveLength(3);
    const ahead = speculativeRuns(step.state, inFlight);
    expect(ahead.length).toBeGreaterThan(0);
    const handedOut = new Set(inFlight.map((r) => runKey(r)));
    expect(ahead.some((r) => handedOut.has(runKey(r)))).toBe(false);
  });
});
