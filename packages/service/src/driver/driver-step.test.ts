import { describe, expect, it } from 'vitest';
import { startBisection, type StartParams, type Verdict } from '@kbisect/bisect';
import { fakeSha, graphOf } from '@kbisect/bisect/testing';
import { driverNext, driverResult, startDriver, testsMergeBase, type DriverStart, type DriverStep } from './driver-step.js';

// The range 1..15 above 0; the good end the user gave sits on a side branch (x), its merge base with bad is 0.
const history = { parents: Array.from({ length: 16 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 15 };
const { graph, bad } = graphOf(history);
const side = fakeSha(900);
const base = fakeSha(0);
const params: StartParams = { graph, bad, goods: [side], firstParent: false, untestable: {}, policy: { kind: 'deterministic' } };
const start = (over: Partial<DriverStart> = {}, p: Partial<StartParams> = {}): DriverStart => ({ params: { ...params, ...p }, mergeBases: [base], imported: [], ...over });

function started(s: DriverStart): DriverStep {
  const out = startDriver(s);
  if (!out.ok) throw new Error(out.message);
  return out.driver;
}
const testOf = (d: DriverStep) => {
  const c = d.step.commands[0];
  return c?.type === 'test' ? c : undefined;
};
const verdict = (commit: string, v: Verdict, source: 'probe' | 'manual' = 'probe') => ({ type: 'verdict' as const, commit, verdict: v, reason: `exit ${v}`, source });

describe('the driver step: merge bases first, as git bisect does', () => {
  it('tests the merge base first; a good one becomes a good end and the engine starts on the range', () => {
    const s = start();
    const d0 = started(s);
    expect(testsMergeBase(d0)).toBe(true);
    expect(testOf(d0)).toMatchObject({ commit: base, progress: { tested: 0 } });
    const d1 = driverNext(s, d0, verdict(base, 'good'));
    expect(testsMergeBase(d1)).toBe(false);
    expect(testOf(d1)?.commit).toBe(startBisection({ ...params, goods: [side, base] }).commands.find((c) => c.type === 'test')?.commit);
    const result = driverResult('r', d1);
    expect(result.verdicts[0]).toEqual({ commit: base, verdict: 'good', reason: 'merge base: exit good', source: 'probe' });
    expect(result.steps).toBe(1);
  });

  it.each([
    { name: 'a bad merge base ends it with git\'s message', terms: undefined, probe: 'bad' as const, error: /^The merge base 0{36}0000 is bad\. This means the bug has been fixed between/ },
    { name: 'for a fix, a merge base without the bug is "already fixed"', terms: 'fix' as const, probe: 'good' as const, error: /^The merge base 0{40} is already fixed/ },
  ])('$name', ({ terms, probe, error }) => {
    const s = start({}, terms ? { terms } : {});
    const d = driverNext(s, started(s), verdict(base, probe));
    expect(d.step.state.status).toBe('failed');
    expect(d.step.state.error).toMatch(error);
    expect(driverResult('r', d).verdicts.map((v) => v.commit)).toEqual([base]);
  });

  it('passes over a skipped merge base, as git warns and bisects anyway', () => {
    const s = start();
    const d = driverNext(s, started(s), verdict(base, 'skip'));
    expect(d.step.state.status).toBe('running');
    expect(d.step.state.goods).toEqual([side]);
    expect(testOf(d)?.commit).not.toBe(base);
  });

  it('does not test again a merge base an imported log already marked', () => {
    const d = started(start({ imported: [{ commit: base, verdict: 'good' }, { commit: fakeSha(12), verdict: 'bad' }] }));
    expect(testsMergeBase(d)).toBe(false);
    expect(driverResult('r', d).verdicts).toEqual([
      { commit: base, verdict: 'good', reason: 'merge base: marked good in an imported bisect log', source: 'log' },
      expect.objectContaining({ commit: fakeSha(12), verdict: 'bad', source: 'log' }),
    ]);
    expect(driverResult('r', d).steps).toBe(0);
  });

  it('keeps a verdict on a range commit that arrives during the phase, and applies it once the range is known', () => {
    const s = start();
    const waiting = driverNext(s, started(s), verdict(fakeSha(12), 'bad', 'manual'));
    expect(testOf(waiting)?.commit).toBe(base);
    const d = driverNext(s, waiting, verdict(base, 'good'));
    expect(d.step.state.history.some((r) => r.commit === fakeSha(12) && r.source === 'manual')).toBe(true);
  });

  it('ends at once on a cancel during the phase', () => {
    const s = start();
    const d = driverNext(s, started(s), { type: 'cancel', reason: 'enough' });
    expect(d.step.state.status).toBe('cancelled');
    expect(testsMergeBase(d)).toBe(false);
  });

  it('is the engine itself when every good is an ancestor of bad', () => {
    const s = start({ mergeBases: [] }, { goods: [fakeSha(0)] });
    const d = started(s);
    expect(d).toEqual({ step: startBisection({ ...params, goods: [fakeSha(0)] }) });
    expect(driverNext(s, d, verdict(testOf(d)!.commit, 'bad')).mergeBase).toBeUndefined();
  });
});
