import { describe, expect, it } from 'vitest';
import { parseBisectLog, toBisectLog } from './bisect-log.js';
import { next, startBisection, type StartParams } from './reducer.js';
import { toResult } from './result.js';
import type { RunPurpose } from './run-ref.js';
import type { BisectState, Step, Verdict } from './state.js';
import { descendantsOf, fakeSha, generateHistory, graphOf, seededRandom, simulate, type GeneratedHistory } from './testing/index.js';

const THP = 'CONFIG_TRANSPARENT_HUGEPAGE';
const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
const linear = (n: number): GeneratedHistory => ({ parents: Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1])), tip: n - 1 });
const shas = (is: readonly number[]): string[] => is.map(fakeSha).sort();
const marks = (is: readonly number[]): Record<string, string> => Object.fromEntries(is.map((i) => [fakeSha(i), `${THP} depends on BROKEN at this commit (mm/Kconfig)`]));

// 2016 in miniature: 0 good, 3..8 have THP depend on BROKEN, 9 re-enables it, 11 is the bad end.
const thp2016 = linear(12);
// The stretch on a merged side branch: 0-1-2 mainline, 3..5 (untestable) and 6 (re-enable) on a
// branch off 2, mainline 7-8 meanwhile, 9 merges 8 and 6, then 10-11.
const merged: GeneratedHistory = { parents: [[], [0], [1], [2], [3], [4], [5], [2], [7], [8, 6], [9], [10]], tip: 11 };
// Merges inside the stretch itself: 3 marks BROKEN, 4..6 on a sub-branch merged at 8, 7 beside it, 9 re-enables.
const mergeInside: GeneratedHistory = { parents: [[], [0], [1], [2], [3], [4], [5], [3], [7, 6], [8], [9], [10]], tip: 11 };

/**
 * A probe on a kernel that behaves: the bug shows from `culprit` on; honest
 * runs of an untestable commit skip; forced (`narrow`) runs build, unless the
 * scenario says the forced build fails there.
 */
function oracle(history: GeneratedHistory, culprit: number, opts: { untestable?: number[]; forcedFails?: number[]; honestSkips?: number[] } = {}) {
  const bad = new Set([...descendantsOf(history, culprit)].map(fakeSha));
  const untestable = new Set((opts.untestable ?? []).map(fakeSha));
  const forcedFails = new Set((opts.forcedFails ?? []).map(fakeSha));
  const honestSkips = new Set((opts.honestSkips ?? []).map(fakeSha));
  return (sha: string, ctx: { purpose: RunPurpose }): Verdict => {
    if (honestSkips.has(sha)) return 'skip';
    if (ctx.purpose === 'narrow' ? forcedFails.has(sha) : untestable.has(sha)) return 'skip';
    return bad.has(sha) ? 'bad' : 'good';
  };
}

function run(history: GeneratedHistory, culprit: number, stretch: number[], extra: Partial<StartParams> = {}, opts: { forcedFails?: number[]; honestSkips?: number[] } = {}) {
  const { graph, good, bad } = graphOf(history);
  const tested: { commit: string; purpose: RunPurpose }[] = [];
  const o = oracle(history, culprit, { untestable: stretch, ...opts });
  const outcome = simulate({ graph, bad, goods: [good], untestable: marks(stretch), narrow: { forced: [THP] }, ...extra }, (sha, ctx) => {
    tested.push({ commit: sha, purpose: ctx.purpose });
    return o(sha, ctx);
  });
  const honest = tested.filter((t) => t.purpose === 'bisect').map((t) => t.commit);
  const forced = tested.filter((t) => t.purpose === 'narrow').map((t) => t.commit);
  return { state: outcome.state, honest, forced };
}

describe('untestable: narrow — scenarios', () => {
  const scenarios: { name: string; history: GeneratedHistory; stretch: number[]; culprit: number; honest: number[]; forced: { culprit?: number; candidates?: number[] }; forcedFails?: number[] }[] = [
    { name: '2016 shape: bug inside the stretch', history: thp2016, stretch: range(3, 8), culprit: 5, honest: range(3, 9), forced: { culprit: 5 } },
    { name: "culprit at the stretch's first commit", history: thp2016, stretch: range(3, 8), culprit: 3, honest: range(3, 9), forced: { culprit: 3 } },
    { name: "culprit at the stretch's last commit", history: thp2016, stretch: range(3, 8), culprit: 8, honest: range(3, 9), forced: { culprit: 8 } },
    { name: 'the re-enable commit is the real culprit', history: thp2016, stretch: range(3, 8), culprit: 9, honest: range(3, 9), forced: { culprit: 9 } },
    { name: 'stretch on a merged side branch', history: merged, stretch: range(3, 5), culprit: 4, honest: range(3, 6), forced: { culprit: 4 } },
    { name: 'merges inside the stretch', history: mergeInside, stretch: range(3, 8), culprit: 6, honest: range(3, 9), forced: { culprit: 6 } },
    { name: 'merges inside the stretch, culprit on the beside line', history: mergeInside, stretch: range(3, 8), culprit: 7, honest: range(3, 9), forced: { culprit: 7 } },
    { name: 'a forced build that fails is a skip inside the narrowing', history: thp2016, stretch: range(3, 8), culprit: 5, honest: range(3, 9), forced: { candidates: [4, 5] }, forcedFails: [4] },
  ];
  for (const s of scenarios) {
    it(s.name, () => {
      const { state, honest, forced } = run(s.history, s.culprit, s.stretch, {}, { ...(s.forcedFails ? { forcedFails: s.forcedFails } : {}) });
      // The honest answer is git's, untouched; no stretch commit is tested honestly.
      expect(state.status).toBe('ambiguous');
      expect([...(state.candidates ?? [])].sort()).toEqual(shas(s.honest));
      expect(honest.filter((c) => s.stretch.map(fakeSha).includes(c))).toEqual([]);
      // The forced answer, and only honest candidates were tested to get it.
      expect(forced.length).toBeGreaterThan(0);
      expect(forced.every((c) => state.candidates!.includes(c))).toBe(true);
      expect(state.narrowed).toMatchObject({ status: s.forced.culprit !== undefined ? 'found' : 'ambiguous', forced: [THP], steps: forced.length });
      if (s.forced.culprit !== undefined) expect(state.narrowed?.culprit).toBe(fakeSha(s.forced.culprit));
      if (s.forced.candidates) expect([...(state.narrowed?.candidates ?? [])].sort()).toEqual(shas(s.forced.candidates));
      // About log2 of the stretch, not a linear walk.
      expect(forced.length).toBeLessThanOrEqual(Math.ceil(Math.log2(s.honest.length)) + (s.forcedFails?.length ?? 0) + 1);
    });
  }

  it('does nothing more when the honest search finds the culprit', () => {
    const { state, forced } = run(thp2016, 10, range(3, 8));
    expect(state.status).toBe('found');
    expect(state.culprit).toBe(fakeSha(10));
    expect(forced).toEqual([]);
    expect(state.narrowed).toBeUndefined();
  });

  it('does not narrow an answer left ambiguous by ordinary skips (a forced build would not help)', () => {
    const { state, forced } = run(thp2016, 5, [], {}, { honestSkips: [4, 5] });
    expect(state.status).toBe('ambiguous');
    expect(forced).toEqual([]);
    expect(state.narrowed).toBeUndefined();
  });

  it('keeps an ordinary skip as a skip while narrowing (not retested forced)', () => {
    // 6 failed to build for its own reasons; 3..5 and 7..8 are the stretch.
    const stretch = [3, 4, 5, 7, 8];
    const { state, forced } = run(thp2016, 4, stretch, {}, { honestSkips: [6] });
    expect(state.status).toBe('ambiguous');
    expect(forced).not.toContain(fakeSha(6));
    expect(state.narrowed?.culprit).toBe(fakeSha(4));
  });

  it('without narrow, the same history stops at the honest answer', () => {
    const { graph, good, bad } = graphOf(thp2016);
    const { state, tested } = simulate({ graph, bad, goods: [good], untestable: marks(range(3, 8)) }, oracle(thp2016, 5, { untestable: range(3, 8) }));
    expect(state.status).toBe('ambiguous');
    expect(state.narrowed).toBeUndefined();
    expect(tested.some((c) => range(3, 8).map(fakeSha).includes(c))).toBe(false);
  });

  it('with a repeat policy, forced runs are repeated and decided like honest ones', () => {
    const { state, forced } = run(thp2016, 5, range(3, 8), { policy: { kind: 'repeat', badAfter: 1, goodAfter: 3 } });
    expect(state.narrowed?.culprit).toBe(fakeSha(5));
    // Every good decision in the narrowing took three clean forced runs.
    const counts = new Map<string, number>();
    for (const c of forced) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect([...counts.values()].some((n) => n === 3)).toBe(true);
  });

  it("looking for a fix (terms 'fix'), narrows to the forced first fixed commit", () => {
    const { graph, good, bad } = graphOf(thp2016);
    const fixed = new Set([...descendantsOf(thp2016, 6)].map(fakeSha));
    const stretch = new Set(range(3, 8).map(fakeSha));
    // The probe says 'bad' while the bug shows: before the fix.
    const { state } = simulate({ graph, bad, goods: [good], terms: 'fix', untestable: marks(range(3, 8)), narrow: { forced: [THP] } }, (sha, ctx) => {
      if (ctx.purpose === 'bisect' && stretch.has(sha)) return 'skip';
      return fixed.has(sha) ? 'good' : 'bad';
    });
    expect(state.status).toBe('ambiguous');
    expect(state.narrowed?.culprit).toBe(fakeSha(6));
  });

  it('with a bayes policy, nothing is narrowed (documented choice)', () => {
    const { state, forced } = run(thp2016, 5, range(3, 8), { policy: { kind: 'bayes', detection: 1, maxRuns: 60 } });
    expect(forced).toEqual([]);
    expect(state.narrowed).toBeUndefined();
  });

  for (const reason of [`untestable: ${THP} not set (make olddefconfig dropped it)`, `build: untestable: ${THP} not set (make olddefconfig dropped it)`]) it(`re-tests, forced, commits a kernel build found untestable (no Kconfig marks up front): '${reason.slice(0, 20)}…'`, () => {
    const { graph, good, bad } = graphOf(thp2016);
    const badSet = new Set([...descendantsOf(thp2016, 5)].map(fakeSha));
    const stretch = new Set(range(3, 8).map(fakeSha));
    let step: Step = startBisection({ graph, bad, goods: [good], narrow: { forced: [THP] } });
    const forced: string[] = [];
    for (let guard = 0; guard < 100; guard++) {
      const cmd = step.commands[0];
      if (cmd?.type !== 'test') break;
      const purpose = cmd.purpose ?? 'bisect';
      if (purpose === 'narrow') forced.push(cmd.commit);
      const untestable = purpose === 'bisect' && stretch.has(cmd.commit);
      step = next(step.state, {
        type: 'verdict', commit: cmd.commit, purpose, verdict: untestable ? 'skip' : badSet.has(cmd.commit) ? 'bad' : 'good',
        ...(untestable ? { reason } : {}),
      });
    }
    expect(step.state.status).toBe('ambiguous');
    expect(step.state.narrowed?.culprit).toBe(fakeSha(5));
    expect(forced.every((c) => step.state.candidates!.includes(c))).toBe(true);
  });

  it('resumes from JSON mid-narrowing, and replayed forced verdicts do not count twice', () => {
    const { graph, good, bad } = graphOf(thp2016);
    const o = oracle(thp2016, 5, { untestable: range(3, 8) });
    let step: Step = startBisection({ graph, bad, goods: [good], untestable: marks(range(3, 8)), narrow: { forced: [THP] } });
    let resumedOnce = false;
    for (let guard = 0; guard < 100; guard++) {
      const cmd = step.commands[0];
      if (cmd?.type !== 'test') break;
      const purpose = cmd.purpose ?? 'bisect';
      const event = { type: 'verdict' as const, commit: cmd.commit, verdict: o(cmd.commit, { purpose }), purpose };
      step = next(step.state, event);
      if (purpose === 'narrow' && !resumedOnce) {
        resumedOnce = true;
        const state = JSON.parse(JSON.stringify(step.state)) as BisectState;
        const again = next(state, event);
        expect(again.commands).toEqual(step.commands);
        step = again;
      }
    }
    expect(resumedOnce).toBe(true);
    expect(step.state.narrowed?.culprit).toBe(fakeSha(5));
  });

  it('reports both answers in the result, and keeps forced runs out of the replayable log', () => {
    const { state } = run(thp2016, 5, range(3, 8));
    const result = toResult('x', state);
    expect(result.status).toBe('ambiguous');
    expect(result.narrowed).toMatchObject({ status: 'found', culprit: fakeSha(5), forced: [THP] });
    expect(result.verdicts.filter((v) => v.purpose === 'narrow').length).toBe(state.narrowed!.steps);
    const log = toBisectLog(state);
    expect(log).toContain(`# forced first bad commit: [${fakeSha(5)}]`);
    const parsed = parseBisectLog(log);
    if (!parsed.ok) throw new Error(parsed.message);
    const forcedShas = new Set(state.history.filter((r) => r.purpose === 'narrow').map((r) => r.commit));
    // A stretch commit keeps its honest mark (skip); what the forced run said is a comment only.
    expect(parsed.log.marks.filter((m) => forcedShas.has(m.rev)).every((m) => m.verdict === 'skip')).toBe(true);
    expect(log).toMatch(/^# forced (good|bad): /m);
    // Replaying the marks alone gives the honest answer again.
    const { graph, good, bad } = graphOf(thp2016);
    let step: Step = startBisection({ graph, bad, goods: [good] });
    for (const m of parsed.log.marks) step = next(step.state, { type: 'verdict', commit: m.rev, verdict: m.verdict, source: 'log' });
    expect(step.state.status).toBe('ambiguous');
    expect([...(step.state.candidates ?? [])].sort()).toEqual([...state.candidates!].sort());
  });

  it('property: on random merge-heavy histories, the honest answer is the one without narrow, and the forced culprit is the true one', () => {
    const random = seededRandom(2016);
    let narrowed = 0;
    for (let k = 0; k < 40; k++) {
      const history = generateHistory(random, { commits: 80 + Math.floor(random() * 300) });
      const n = history.parents.length;
      const lo = 1 + Math.floor(random() * (n - 20));
      const stretch = range(lo, lo + 3 + Math.floor(random() * 15)).filter((i) => i < history.tip);
      const culprit = random() < 0.7 ? stretch[Math.floor(random() * stretch.length)]! : 1 + Math.floor(random() * (n - 2));
      const { graph, good, bad } = graphOf(history);
      const plain = simulate({ graph, bad, goods: [good], untestable: marks(stretch) }, oracle(history, culprit, { untestable: stretch }));
      const { state, forced } = run(history, culprit, stretch);
      expect(state.status).toBe(plain.state.status);
      expect(state.culprit).toBe(plain.state.culprit);
      expect([...(state.candidates ?? [])].sort()).toEqual([...(plain.state.candidates ?? [])].sort());
      if (state.status === 'found') {
        expect(forced).toEqual([]);
        continue;
      }
      narrowed++;
      expect(forced.every((c) => state.candidates!.includes(c))).toBe(true);
      expect(state.narrowed?.culprit).toBe(fakeSha(culprit));
    }
    expect(narrowed).toBeGreaterThan(5);
  });
});
