/** The list's text filter: what a summary holds, and what a query matches (the behaviour before summaries existed). */
import { describe, expect, it } from 'vitest';
import type { BisectionView } from './bisection-view.js';
import { changesSearch, matchesSearch, parseSearchSummary, searchSummaryOf } from './search-summary.js';

const a = 'a'.repeat(40);
const b = 'b'.repeat(40);
const c = 'c1'.repeat(20);
const info = (sha: string, subject: string) => ({ sha, subject, authorName: 'Dev', authorEmail: 'dev@example.org', authorDate: '2020-01-01T00:00:00Z' });
const base: BisectionView = { id: 'x', status: 'found', steps: 3, verdicts: [], repo: '/srv/a', good: ['v1'], bad: 'v2', createdAt: '', submittedBy: 'alice' };
const found: BisectionView = { ...base, culprit: a, commits: [info(a, 'mm: Break Pinning')] };
const ambiguous: BisectionView = { ...base, status: 'ambiguous', candidates: [a, b], commits: [info(a, 'vfio: map pages'), info(b, 'mm/gup: refcount')] };
const overridden: BisectionView = { ...found, annotations: [{ by: 'm', kind: 'culprit-override', culprit: c, reason: 'the revert says so', at: '' }, { by: 'm', kind: 'invalid', reason: 'flaky', at: '' }] };

describe('the search summary of a bisection', () => {
  const table: { name: string; view: BisectionView; query: string; matches: boolean }[] = [
    { name: "words of the culprit's subject, any case", view: found, query: 'break PINNING', matches: true },
    { name: 'a culprit sha prefix', view: found, query: 'aaaaaaaa', matches: true },
    { name: 'a sha prefix in capitals, trimmed', view: found, query: ' AAAA ', matches: true },
    { name: 'three hex digits are not a sha prefix', view: found, query: 'aaa', matches: false },
    { name: 'a subject the result does not hold', view: found, query: 'vfio', matches: false },
    { name: "a candidate's subject", view: ambiguous, query: 'refcount', matches: true },
    { name: "a candidate's sha prefix", view: ambiguous, query: 'bbbbbb', matches: true },
    { name: 'no result: nothing to match', view: base, query: 'mm', matches: false },
    { name: "an overriding culprit's sha prefix", view: overridden, query: 'c1c1c1', matches: true },
    { name: "the engine's culprit after an override", view: overridden, query: 'aaaa', matches: true },
  ];
  for (const row of table) {
    it(`${row.matches ? 'matches' : 'does not match'} ${row.name}`, () => {
      expect(matchesSearch(searchSummaryOf(row.view), row.query)).toBe(row.matches);
    });
  }

  it('round-trips through JSON, and refuses what is not a summary of this version', () => {
    const summary = searchSummaryOf(ambiguous);
    expect(parseSearchSummary(JSON.stringify(summary))).toEqual(summary);
    expect(parseSearchSummary(JSON.stringify({ ...summary, v: 0 }))).toBeUndefined();
    expect(parseSearchSummary('{not json')).toBeUndefined();
    expect(parseSearchSummary(null)).toBeUndefined();
  });

  it('is changed by a result or a judgement of it, not by progress', () => {
    expect(changesSearch({ type: 'finished', at: '', status: 'found', culprit: a })).toBe(true);
    expect(changesSearch({ type: 'annotation', at: '', by: 'm', kind: 'culprit-override', culprit: c, reason: 'r' })).toBe(true);
    expect(changesSearch({ type: 'step-progress', at: '', commit: a, phase: 'build', message: 'building' })).toBe(false);
  });
});
