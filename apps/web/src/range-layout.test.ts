import { describe, expect, it } from 'vitest';
import type { BisectionView, RangeView } from '@kbisect/service';
import { layoutRange } from './range-layout.js';

const sha = (n: number): string => n.toString(16).padStart(40, '0');
// Newest first, as git rev-list prints: 5 is a merge of 4 (first parent) and 3; 4 → 2, 3 → 2, 2 → 1, 1 → outside.
const range: RangeView = {
  commits: [sha(5), sha(4), sha(3), sha(2), sha(1)],
  parents: [[1, 2], [3], [3], [4], [-1]],
  subjects: ['merge', 'four', 'three', 'two', 'one'],
  candidates: [sha(5), sha(4), sha(3)],
  untestable: { [sha(1)]: 'CONFIG_X not set' },
};
const view = (verdicts: BisectionView['verdicts'], current?: string): BisectionView => ({
  id: 'x', status: 'running', steps: verdicts.length, verdicts, repo: '/r', good: ['g'], bad: 'b', createdAt: '', submittedBy: 'a',
  ...(current ? { current: { commit: current, progress: { candidatesLeft: 3, testableLeft: 3, stepsLeft: 2, tested: 1 } } } : {}),
});

describe('layoutRange', () => {
  it('puts the first-parent line on lane 0 and a merged branch on its own lane, oldest first', () => {
    const layout = layoutRange(range, view([]));
    expect(layout.commits.map((c) => c.subject)).toEqual(['one', 'two', 'three', 'four', 'merge']);
    const lane = Object.fromEntries(layout.commits.map((c) => [c.subject, c.lane]));
    expect(lane).toEqual({ merge: 0, four: 0, two: 0, one: 0, three: 1 });
    expect(layout.lanes).toBe(2);
  });

  it('marks verdicts, the untestable stretch with its reason, the commit under test, and outlines candidates', () => {
    const layout = layoutRange(range, view([{ commit: sha(2), verdict: 'good', reason: 'exit 0', source: 'probe' }, { commit: sha(5), verdict: 'bad', reason: 'exit 1', source: 'probe' }], sha(4)));
    const by = Object.fromEntries(layout.commits.map((c) => [c.subject, c]));
    expect(by.two).toMatchObject({ mark: 'good', candidate: false });
    expect(by.merge).toMatchObject({ mark: 'bad', candidate: true });
    expect(by.four).toMatchObject({ mark: 'testing', candidate: true });
    expect(by.three).toMatchObject({ mark: 'candidate', candidate: true });
    expect(by.one).toMatchObject({ mark: 'untestable', reason: 'CONFIG_X not set' });
    expect(layout.untestableReasons).toEqual([{ reason: 'CONFIG_X not set', count: 1 }]);
    expect(layout.counts).toMatchObject({ good: 1, bad: 1, untestable: 1, testing: 1, candidate: 1 });
  });

  it('shows the bisect verdict of a commit, not a verification re-run of it', () => {
    const layout = layoutRange(range, view([{ commit: sha(3), verdict: 'bad', reason: 'exit 1', source: 'probe' }, { commit: sha(3), verdict: 'good', reason: 'flake', source: 'probe', purpose: 'verify-culprit' }]));
    expect(layout.commits.find((c) => c.subject === 'three')?.mark).toBe('bad');
  });
});
