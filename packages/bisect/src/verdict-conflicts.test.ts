import { describe, expect, it } from 'vitest';
import { startBisection } from './reducer.js';
import type { BisectState, Terms, Verdict } from './state.js';
import { fakeSha, graphOf, linearHistory, type GeneratedHistory } from './testing/index.js';
import { contradictedBy, disputedOffers } from './verdict-conflicts.js';

// 0 ─ 1 ─ 2 ─ 5 (merge of 2 and 4) ─ 6
//  └─ 3 ─ 4 ─┘
const forked: GeneratedHistory = { parents: [[], [0], [1], [0], [3], [2, 4], [5]], tip: 6 };

function stateOf(history: GeneratedHistory, terms?: Terms): BisectState {
  const { graph, good, bad } = graphOf(history);
  return startBisection({ graph, bad, goods: [good], ...(terms ? { terms } : {}) }).state;
}

const offers = (list: Record<number, Verdict>): { commit: string; verdict: Verdict }[] => Object.entries(list).map(([c, verdict]) => ({ commit: fakeSha(Number(c)), verdict }));
const shas = (list: readonly number[]): string[] => list.map(fakeSha).sort();

describe('offered verdicts that contradict each other', () => {
  it.each([
    { name: 'a bad commit a good one contains: both disputed', history: linearHistory(10), offers: { 3: 'bad', 6: 'good' } as const, disputed: [3, 6] },
    { name: 'good below bad: consistent', history: linearHistory(10), offers: { 3: 'good', 6: 'bad' } as const, disputed: [] },
    { name: 'on branches apart (3 bad, 2 good): consistent', history: forked, offers: { 3: 'bad', 2: 'good' } as const, disputed: [] },
    { name: 'bad on a side branch the merge contains, merge good: disputed', history: forked, offers: { 4: 'bad', 5: 'good' } as const, disputed: [4, 5] },
    { name: 'only the pairs that clash: 1 bad under 2 good, 4 good stays', history: forked, offers: { 1: 'bad', 2: 'good', 4: 'good' } as const, disputed: [1, 2] },
    { name: 'skips dispute nothing', history: linearHistory(10), offers: { 3: 'skip', 6: 'good' } as const, disputed: [] },
  ])('$name', ({ history, offers: o, disputed }) => {
    expect([...disputedOffers(stateOf(history), offers(o))].sort()).toEqual(shas(disputed));
  });

  it('reads the verdicts in fix terms (bad means fixed, so a bad below a good is the contradiction)', () => {
    expect([...disputedOffers(stateOf(linearHistory(10), 'fix'), offers({ 3: 'good', 6: 'bad' }))].sort()).toEqual(shas([3, 6]));
    expect(disputedOffers(stateOf(linearHistory(10), 'fix'), offers({ 3: 'bad', 6: 'good' })).size).toBe(0);
  });
});

describe('a verdict against the engine\'s history', () => {
  it('names the good commit containing a bad one and the bad commit a good one contains; a consistent verdict or a skip contradicts nothing', () => {
    const s = stateOf(linearHistory(10));
    const history = [...s.history, { commit: fakeSha(6), verdict: 'good' as const, source: 'probe' as const }, { commit: fakeSha(8), verdict: 'bad' as const, source: 'probe' as const }];
    const state = { ...s, history };
    expect(contradictedBy(state, fakeSha(4), 'bad')).toEqual([fakeSha(6)]);
    expect(contradictedBy(state, fakeSha(9), 'good')).toEqual([fakeSha(8)]);
    expect(contradictedBy(state, fakeSha(7), 'good')).toEqual([]);
    expect(contradictedBy(state, fakeSha(7), 'skip')).toEqual([]);
  });
});
