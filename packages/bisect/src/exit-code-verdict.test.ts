import { describe, expect, it } from 'vitest';
import { cannotRunRecheck, goodForRecheck, needsCannotRunRecheck, verdictFromExit } from './exit-code-verdict.js';
import { next, startBisection } from './reducer.js';
import { fakeSha, graphOf, type GeneratedHistory } from './testing/index.js';

describe("git bisect run's exit codes", () => {
  it.each([
    [0, 'good'], [1, 'bad'], [125, 'skip'], [126, 'bad'], [127, 'bad'], [128, 'abort'], [255, 'abort'],
  ] as const)('exit %i → %s', (code, want) => {
    const o = verdictFromExit(code, undefined);
    expect(o.kind === 'verdict' ? o.verdict : o.kind).toBe(want);
  });
  it('a signal aborts', () => {
    expect(verdictFromExit(undefined, 'SIGKILL')).toMatchObject({ kind: 'abort', reason: expect.stringMatching(/SIGKILL/) });
  });
});

describe('a first 126/127 is re-checked at a good commit, as git does', () => {
  const first = verdictFromExit(127, undefined);
  if (first.kind !== 'verdict') throw new Error('unreachable');
  const at = { commit: 'a'.repeat(40), good: 'b'.repeat(40) };
  it('only on the first test, only for 126 and 127', () => {
    expect(needsCannotRunRecheck(first, true)).toBe(true);
    expect(needsCannotRunRecheck(verdictFromExit(126, undefined), true)).toBe(true);
    expect(needsCannotRunRecheck(first, false)).toBe(false);
    expect(needsCannotRunRecheck(verdictFromExit(1, undefined), true)).toBe(false);
  });
  it.each([
    { name: 'the same code at the good commit: the command cannot run, abort saying so', atGood: verdictFromExit(127, undefined), want: /^test command could not run: it exited 127 \(command not found\) at aaaaaaaaaaaa and again at the good commit bbbbbbbbbbbb.*bogus exit code 127 for good revision/ },
    { name: 'the good commit cannot be verified (128+): abort', atGood: verdictFromExit(200, undefined), want: /re-running it at the good commit bbbbbbbbbbbb .* failed too/ },
    { name: 'another code at the good commit: the first 127 stands as bad', atGood: verdictFromExit(0, undefined), want: 'bad' },
    { name: 'even 126 at the good commit: a different code, so 127 stands', atGood: verdictFromExit(126, undefined), want: 'bad' },
  ])('$name', ({ atGood, want }) => {
    const o = cannotRunRecheck(first, at, atGood);
    if (typeof want === 'string') expect(o).toMatchObject({ kind: 'verdict', verdict: want, exitCode: 127 });
    else expect(o.kind === 'abort' ? o.reason : '').toMatch(want);
  });
  it('picks the smallest sha among the commits known good, as git walks refs/bisect/good-*', () => {
    const history: GeneratedHistory = { parents: Array.from({ length: 10 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 9 };
    const { graph, good, bad } = graphOf(history);
    let step = startBisection({ graph, bad, goods: [good] });
    expect(goodForRecheck(step.state)).toBe(good);
    const later = [3, 4, 5].map(fakeSha).sort()[0]!;
    for (const c of [3, 4, 5]) step = next(step.state, { type: 'verdict', commit: fakeSha(c), verdict: 'good', source: 'log' });
    expect(goodForRecheck(step.state)).toBe([good, later].sort()[0]);
  });
});
