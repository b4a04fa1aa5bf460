import { describe, expect, it } from 'vitest';
import { next, startBisection } from './reducer.js';
import { toBisectLog, parseBisectLog } from './bisect-log.js';
import { candidateCount, candidatesOf } from './inspect.js';
import { toResult } from './result.js';
import type { BisectState, Step } from './state.js';
import { fakeSha, generateHistory, graphOf, seededRandom, simulate, type GeneratedHistory, linearHistory as linear, deterministicOracle as oracleFor } from './testing/index.js';

function start(history: GeneratedHistory, extra: { firstParent?: boolean; untestable?: Record<string, string> } = {}): Step {
  const { graph, good, bad } = graphOf(history);
  return startBisection({ graph, bad, goods: [good], ...extra });
}

const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);

describe('engine scenarios', () => {
  const scenarios: { name: string; history: GeneratedHistory; culprit: number; skips?: number[]; expect: { status: string; culprit?: number; candidates?: number[] } }[] = [
    { name: 'linear, culprit in the middle', history: linear(100), culprit: 37, expect: { status: 'found', culprit: 37 } },
    { name: 'linear, culprit is the bad end', history: linear(50), culprit: 49, expect: { status: 'found', culprit: 49 } },
    { name: 'linear, culprit right after good', history: linear(50), culprit: 1, expect: { status: 'found', culprit: 1 } },
    { name: 'skipped parent of the culprit', history: linear(40), culprit: 20, skips: [19], expect: { status: 'ambiguous', candidates: [19, 20] } },
    { name: 'culprit itself skipped', history: linear(40), culprit: 20, skips: [20, 21], expect: { status: 'ambiguous', candidates: [20, 21, 22] } },
    { name: 'skips away from the culprit do not matter', history: linear(64), culprit: 10, skips: range(30, 40), expect: { status: 'found', culprit: 10 } },
  ];
  for (const s of scenarios) {
    it(s.name, () => {
      const { graph, good, bad } = graphOf(s.history);
      const { state } = simulate({ graph, bad, goods: [good] }, oracleFor(s.history, s.culprit, s.skips));
      expect(state.status).toBe(s.expect.status);
      if (s.expect.culprit !== undefined) expect(state.culprit).toBe(fakeSha(s.expect.culprit));
      if (s.expect.candidates) expect([...(state.candidates ?? [])].sort()).toEqual(s.expect.candidates.map(fakeSha).sort());
    });
  }

  it('finds the culprit in a history with merges in about log2(n) tests', () => {
    const history = generateHistory(seededRandom(7), { commits: 1000 });
    const { graph, good, bad } = graphOf(history);
    for (const culprit of [5, 300, 777, 998]) {
      const { state, tested } = simulate({ graph, bad, goods: [good] }, oracleFor(history, culprit));
      expect(state.status).toBe('found');
      expect(state.culprit).toBe(fakeSha(culprit));
      expect(tested.length).toBeLessThanOrEqual(14);
    }
  });
});

describe('untestable commits', () => {
  // The 2016 THP trap: commits 3..8 have THP compiled out, 9 re-enables it.
  const history = linear(12);
  const untestable = Object.fromEntries(range(3, 8).map((i) => [fakeSha(i), 'CONFIG_TRANSPARENT_HUGEPAGE depends on BROKEN at this commit (mm/Kconfig)']));

  it('never hands an untestable commit to the probe and reports the stretch, not the re-enable commit', () => {
    const { graph, good, bad } = graphOf(history);
    const { state, tested } = simulate({ graph, bad, goods: [good], untestable }, oracleFor(history, 5));
    expect(tested.filter((c) => c in untestable)).toEqual([]);
    expect(state.status).toBe('ambiguous');
    expect([...(state.candidates ?? [])].sort()).toEqual([...range(3, 9)].map(fakeSha).sort());
    expect(state.culprit).toBeUndefined();
    const auto = state.history.filter((r) => r.source === 'untestable');
    expect(auto.length).toBeGreaterThan(0);
    expect(auto[0]!.reason).toMatch(/^untestable: CONFIG_TRANSPARENT_HUGEPAGE depends on BROKEN/);
    expect(toResult('x', state).steps).toBe(tested.length);
  });

  it('finds a culprit outside the untestable stretch exactly', () => {
    const { graph, good, bad } = graphOf(history);
    const { state, tested } = simulate({ graph, bad, goods: [good], untestable }, oracleFor(history, 10));
    expect(state.status).toBe('found');
    expect(state.culprit).toBe(fakeSha(10));
    expect(tested.every((c) => !(c in untestable))).toBe(true);
  });

  it('ends the same as git would with skips discovered by testing, at lower cost', () => {
    const big = generateHistory(seededRandom(11), { commits: 400 });
    const { graph, good, bad } = graphOf(big);
    const band = range(150, 190);
    const marks = Object.fromEntries(band.map((i) => [fakeSha(i), 'band']));
    const discovered = simulate({ graph, bad, goods: [good] }, oracleFor(big, 170, band));
    const known = simulate({ graph, bad, goods: [good], untestable: marks }, oracleFor(big, 170, band));
    expect(known.state.status).toBe(discovered.state.status);
    expect([...(known.state.candidates ?? [])].sort()).toEqual([...(discovered.state.candidates ?? [])].sort());
    expect(known.tested.length).toBeLessThan(discovered.tested.length);
  });

  it('an untestable event arriving later re-routes the pending commit', () => {
    const first = start(history);
    const pending = first.state.next!;
    const step = next(first.state, { type: 'untestable', commits: { [pending]: 'late probe' } });
    expect(step.state.next).not.toBe(pending);
    expect(step.state.history.at(-1)).toMatchObject({ commit: pending, verdict: 'skip', source: 'untestable' });
  });
});

describe('verdicts from people and replays', () => {
  it('ignores a replayed identical verdict and refuses a conflicting one', () => {
    const s0 = start(linear(30));
    const c = s0.state.next!;
    const s1 = next(s0.state, { type: 'verdict', commit: c, verdict: 'good' });
    const again = next(s1.state, { type: 'verdict', commit: c, verdict: 'good' });
    expect(again.state.history.length).toBe(s1.state.history.length);
    const conflict = next(s1.state, { type: 'verdict', commit: c, verdict: 'bad' });
    expect(conflict.commands[0]).toMatchObject({ type: 'rejected', code: 'KBISECT_ERR_CONFLICTING_VERDICT' });
    expect(conflict.state).toBe(s1.state);
  });

  it('refuses verdicts that contradict the history or name unknown commits', () => {
    const h = linear(30);
    const s0 = start(h);
    const s1 = next(s0.state, { type: 'verdict', commit: fakeSha(10), verdict: 'bad', source: 'manual' });
    expect(s1.state.history.at(-1)).toMatchObject({ commit: fakeSha(10), source: 'manual' });
    expect(next(s1.state, { type: 'verdict', commit: fakeSha(20), verdict: 'good' }).commands[0]).toMatchObject({ code: 'KBISECT_ERR_CONTRADICTS_HISTORY' });
    const s2 = next(s1.state, { type: 'verdict', commit: fakeSha(5), verdict: 'good' });
    expect(next(s2.state, { type: 'verdict', commit: fakeSha(3), verdict: 'bad' }).commands[0]).toMatchObject({ code: 'KBISECT_ERR_CONTRADICTS_HISTORY' });
    expect(next(s2.state, { type: 'verdict', commit: 'f'.repeat(40), verdict: 'bad' }).commands[0]).toMatchObject({ code: 'KBISECT_ERR_UNKNOWN_COMMIT' });
    expect(candidatesOf(s2.state)).toEqual(range(6, 10).reverse().map(fakeSha));
    expect(candidateCount(s2.state)).toBe(range(6, 10).length);
  });

  it('refuses events once finished, and cancels', () => {
    const s0 = start(linear(10));
    const cancelled = next(s0.state, { type: 'cancel', reason: 'by alice' });
    expect(cancelled.state.status).toBe('cancelled');
    expect(next(cancelled.state, { type: 'verdict', commit: s0.state.next!, verdict: 'good' }).commands[0]).toMatchObject({ code: 'KBISECT_ERR_NOT_RUNNING' });
  });

  it('rejects a start whose bad is outside the graph or equal to a good', () => {
    const { graph, good } = graphOf(linear(5));
    expect(startBisection({ graph, bad: 'a'.repeat(40), goods: [good] }).commands[0]).toMatchObject({ code: 'KBISECT_ERR_INVALID_START' });
    expect(startBisection({ graph, bad: graph.commits[0]!, goods: [graph.commits[0]!] }).commands[0]).toMatchObject({ code: 'KBISECT_ERR_INVALID_START' });
  });
});

describe('state is plain JSON', () => {
  it('resumes from a JSON round trip at every step with the same answer', () => {
    const history = generateHistory(seededRandom(3), { commits: 300 });
    const { graph, good, bad } = graphOf(history);
    const oracle = oracleFor(history, 123, [120, 121, 122, 200]);
    let step = startBisection({ graph, bad, goods: [good] });
    const direct = simulate({ graph, bad, goods: [good] }, oracle).state;
    while (step.commands[0]?.type === 'test') {
      const revived = JSON.parse(JSON.stringify(step.state)) as BisectState;
      step = next(revived, { type: 'verdict', commit: step.commands[0].commit, verdict: oracle(step.commands[0].commit) });
    }
    expect(step.state.status).toBe(direct.status);
    expect(step.state.culprit).toBe(direct.culprit);
    expect(step.state.candidates).toEqual(direct.candidates);
  });
});

describe('first-parent mode', () => {
  it('blames the merge that brought a branch culprit into mainline', () => {
    // 0 - 1 - 2 - 5(merge of 4) - 6 ; branch 3 - 4 forked from 1; culprit 3.
    const h: GeneratedHistory = { parents: [[], [0], [1], [1], [3], [2, 4], [5]], tip: 6 };
    const { graph, good, bad } = graphOf(h);
    const { state, tested } = simulate({ graph, bad, goods: [good], firstParent: true }, oracleFor(h, 3));
    expect(state.culprit).toBe(fakeSha(5));
    expect(tested).not.toContain(fakeSha(3));
    expect(tested).not.toContain(fakeSha(4));
  });
});

describe('bisect log', () => {
  it('exports a log that parses back to the same marks and resumes to the same answer', () => {
    const history = generateHistory(seededRandom(5), { commits: 200 });
    const { graph, good, bad } = graphOf(history);
    const { state } = simulate({ graph, bad, goods: [good] }, oracleFor(history, 77, [76]));
    const text = toBisectLog(state);
    // The ends on the start line, as git writes them (git checks there, once, that the goods are ancestors of the bad).
    expect(text.split('\n')[0]).toBe(`git bisect start '${bad}' '${good}'`);
    expect(parseBisectLog(text)).toMatchObject({ ok: true, log: { startBad: bad, startGoods: [good] } });
    const parsed = parseBisectLog(text);
    if (!parsed.ok) throw new Error(parsed.message);
    let step = startBisection({ graph, bad, goods: [good] });
    for (const m of parsed.log.marks) step = next(step.state, { type: 'verdict', commit: m.rev, verdict: m.verdict, source: 'log' });
    expect(step.state.status).toBe(state.status);
    expect(step.state.candidates ?? step.state.culprit).toEqual(state.candidates ?? state.culprit);
  });

  it('reads git-written logs with start arguments and refuses garbage with the line number', () => {
    const ok = parseBisectLog("# bad: [x] y\ngit bisect start '--first-parent' 'HEAD' 'v4.4'\n# good: [a]\ngit bisect good " + fakeSha(1) + '\n');
    expect(ok).toMatchObject({ ok: true, log: { firstParent: true, startBad: 'HEAD', startGoods: ['v4.4'] } });
    expect(parseBisectLog('git bisect start\ngit bisect good --upload-pack=x\n')).toMatchObject({ ok: false, line: 2 });
    expect(parseBisectLog('rm -rf /\n')).toMatchObject({ ok: false, line: 1 });
    expect(parseBisectLog('git bisect good abc\n')).toMatchObject({ ok: false });
  });
});

describe('verdicts on the ends of the range', () => {
  const h = linear(8);
  const { graph, good, bad } = graphOf(h);
  const rejection = (s: Step): string | undefined => s.commands.find((c) => c.type === 'rejected')?.type === 'rejected' ? (s.commands[0] as { code: string }).code : undefined;
  it('refuses a verdict that contradicts a start record, instead of taking it for a replay', () => {
    const s = startBisection({ graph, bad, goods: [good] });
    expect(rejection(next(s.state, { type: 'verdict', commit: bad, verdict: 'good', source: 'manual' }))).toBe('KBISECT_ERR_CONFLICTING_VERDICT');
    expect(rejection(next(s.state, { type: 'verdict', commit: good, verdict: 'bad', source: 'manual' }))).toBe('KBISECT_ERR_CONFLICTING_VERDICT');
    expect(rejection(next(s.state, { type: 'verdict', commit: bad, verdict: 'bad', source: 'manual' }))).toBeUndefined();
  });
  it('compares in engine terms for a fix: the fixed end is clean, the broken end shows the bug', () => {
    const s = startBisection({ graph, bad, goods: [good], terms: 'fix' });
    expect(rejection(next(s.state, { type: 'verdict', commit: bad, verdict: 'good', source: 'manual' }))).toBeUndefined();
    expect(rejection(next(s.state, { type: 'verdict', commit: bad, verdict: 'bad', source: 'manual' }))).toBe('KBISECT_ERR_CONFLICTING_VERDICT');
  });
  it('keeps the metrics a verdict carries in its record', () => {
    const s = startBisection({ graph, bad, goods: [good] });
    const cmd = s.commands[0]!;
    if (cmd.type !== 'test') throw new Error('expected a test command');
    const after = next(s.state, { type: 'verdict', commit: cmd.commit, verdict: 'bad', metrics: { mismatches: 3 } });
    expect(after.state.history.at(-1)).toMatchObject({ commit: cmd.commit, metrics: { mismatches: 3 } });
  });
});
