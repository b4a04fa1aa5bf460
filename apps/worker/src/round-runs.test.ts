import { describe, expect, it } from 'vitest';
import { startBisection, type BisectState, type PolicyInput, type RunRef, type VerdictRecord } from '@kbisect/bisect';
import { extraRuns, roundK } from './round-runs.js';

const sha = (i: number): string => i.toString(16).padStart(40, '0');
// A line of 8 commits: 0 good, 7 bad.
const graph = { commits: Array.from({ length: 8 }, (_, i) => sha(7 - i)), parents: Array.from({ length: 8 }, (_, i) => (i < 7 ? [i + 1] : [])) };
const start = (policy?: PolicyInput): BisectState => startBisection({ graph, bad: sha(7), goods: [sha(0)], ...(policy ? { policy } : {}) }).state;
const ask = (commit: string, run = 0): RunRef => ({ commit, purpose: 'bisect', run });
const landed = (state: BisectState, records: VerdictRecord[]): BisectState => ({ ...state, history: [...state.history, ...records] });

describe('roundK: a round takes what the lab has ready, within maxParallel', () => {
  const cases: [string, number, number | undefined, number][] = [
    ['the ready machines when no bound is asked for', 4, undefined, 4],
    ['the bound when the lab has more', 8, 3, 3],
    ['one when nothing is ready (the run waits in its queue)', 0, undefined, 1],
    ['never more than 64', 100, undefined, 64],
  ];
  for (const [name, ready, cap, k] of cases) it(name, () => expect(roundK(ready, cap)).toBe(k));
});

describe('extraRuns: the next runs of the asked commit, on the other machines', () => {
  it('adds k-1 runs for repeat, but no more than the policy could still need', () => {
    const state = start({ kind: 'repeat', badAfter: 1, goodAfter: 3 });
    expect(extraRuns(state, [ask(sha(4))], 4)).toEqual([ask(sha(4), 1), ask(sha(4), 2)]);
    expect(extraRuns(state, [ask(sha(4))], 2)).toEqual([ask(sha(4), 1)]);
  });

  it('skips runs already landed out of order and stops once the commit is decided', () => {
    const state = start({ kind: 'repeat', badAfter: 2, goodAfter: 5 });
    const some = landed(state, [{ commit: sha(4), purpose: 'bisect', run: 2, verdict: 'good', source: 'probe' }]);
    expect(extraRuns(some, [ask(sha(4), 0)], 3)).toEqual([ask(sha(4), 1), ask(sha(4), 3)]);
    const decided = landed(state, [0, 1].map((run): VerdictRecord => ({ commit: sha(4), purpose: 'bisect', run, verdict: 'bad', source: 'probe' })));
    expect(extraRuns(decided, [ask(sha(4), 2)], 4)).toEqual([]);
  });

  it('stays within the bayes run budget', () => {
    const state = start({ kind: 'bayes', maxRuns: 3, detection: 0.5 });
    const used = landed(state, [0, 1].map((run): VerdictRecord => ({ commit: sha(2), purpose: 'bisect', run, verdict: 'good', source: 'probe' })));
    expect(extraRuns(used, [ask(sha(4))], 4)).toEqual([]);
    expect(extraRuns(state, [ask(sha(4))], 4)).toEqual([ask(sha(4), 1), ask(sha(4), 2)]);
  });

  it('adds nothing for the deterministic policy (multisection places its own runs), at k = 1, or for checks and verifications', () => {
    expect(extraRuns(start(), [ask(sha(4))], 4)).toEqual([]);
    expect(extraRuns(start({ kind: 'repeat' }), [ask(sha(4))], 1)).toEqual([]);
    expect(extraRuns(start({ kind: 'repeat' }), [{ commit: sha(7), purpose: 'verify-culprit', run: 0 }], 4)).toEqual([]);
  });
});
