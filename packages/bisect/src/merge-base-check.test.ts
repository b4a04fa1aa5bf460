import { describe, expect, it } from 'vitest';
import { nextMergeBaseStep } from './merge-base-check.js';
import type { Verdict } from './state.js';

const [B, G, M1, M2] = ['b', 'g', '1', '2'].map((c) => c.repeat(40)) as [string, string, string, string];

describe("git's merge-base check before bisecting", () => {
  it.each([
    { name: 'no merge bases: nothing to test', bases: [], tested: [], want: { kind: 'done', goods: [G] } },
    { name: 'an untested merge base is tested first', bases: [M1, M2], tested: [], want: { kind: 'test', commit: M1 } },
    { name: 'a good one becomes a good end, then the next is tested', bases: [M1, M2], tested: [[M1, 'good']], want: { kind: 'test', commit: M2 } },
    { name: 'a skipped one is passed over', bases: [M1], tested: [[M1, 'skip']], want: { kind: 'done', goods: [G] } },
    { name: 'all good: bisect with them as good ends', bases: [M1, M2], tested: [[M1, 'good'], [M2, 'good']], want: { kind: 'done', goods: [G, M1, M2] } },
  ] as { name: string; bases: string[]; tested: [string, Verdict][]; want: unknown }[])('$name', ({ bases, tested, want }) => {
    expect(nextMergeBaseStep({ bad: B, goods: [G], mergeBases: bases, tested: new Map(tested) })).toEqual(want);
  });
  it('a bad one ends it, as git does: the bug was fixed between it and the goods', () => {
    const out = nextMergeBaseStep({ bad: B, goods: [G], mergeBases: [M1], tested: new Map([[M1, 'bad']]) });
    expect(out).toMatchObject({ kind: 'failed', reason: expect.stringMatching(new RegExp(`^The merge base ${M1} is bad\\. This means the bug has been fixed between ${M1} and \\[${G}\\]`)) });
  });
});
