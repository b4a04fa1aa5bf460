import { describe, expect, it } from 'vitest';
import { chooseBayesBatch } from './bayes-batch.js';
import { chooseBayes } from './bayes-choice.js';
import { bayesPosterior, type BayesPolicy } from './bayes-posterior.js';
import { indexGraph } from './graph-index.js';
import { next, startBisection } from './reducer.js';
import type { BisectState, Step, VerdictRecord } from './state.js';
import { descendantsOf, fakeSha, generateHistory, graphOf, linearHistory, seededRandom, simulateParallel } from './testing/index.js';

function stateWith(history: ReturnType<typeof linearHistory>, policy: BayesPolicy, runs: readonly [number, 'good' | 'bad'][], bad = history.tip): BisectState {
  const { graph, good } = graphOf(history);
  const start = startBisection({ graph, bad: fakeSha(bad), goods: [good], policy });
  const extra: VerdictRecord[] = runs.map(([c, verdict], i) => ({ commit: fakeSha(c), verdict, source: 'probe', run: i }));
  return { ...start.state, history: [...start.state.history, ...extra] };
}

function ready(state: BisectState) {
  const index = indexGraph(state.graph);
  const view = bayesPosterior(state, index, state.policy as BayesPolicy);
  if (view.kind !== 'ready') throw new Error(`expected a posterior, got ${view.kind}`);
  return { index, view };
}

const batch = (state: BisectState, slots: number, inFlight: readonly number[] = []): string[] => {
  const { index, view } = ready(state);
  const picks = chooseBayesBatch({ index, view, firstParent: false, inFlight: inFlight.map((c) => index.indexOf.get(fakeSha(c))!), slots, unrunnable: () => false });
  return picks.map((c) => index.graph.commits[c]!);
};

const reliable: BayesPolicy = { kind: 'bayes', confidence: 0.99, maxRuns: 300, detection: 1, falsePositive: 0 };
const flaky: BayesPolicy = { kind: 'bayes', confidence: 0.99, maxRuns: 300, detection: 0.3, falsePositive: 0 };

describe('bayes batch: which runs go out together', () => {
  it('with a reliable reproducer and a flat posterior, k = 3 cuts 16 candidates into four equal parts (multisection)', () => {
    // Commits 1..16 are the candidates (0 is good); the bad end shows the bug once, so nothing is left to calibrate.
    const state = stateWith(linearHistory(17), reliable, [[16, 'bad']]);
    expect(batch(state, 3).sort()).toEqual([4, 8, 12].map(fakeSha).sort());
  });

  it('one slot and nothing in flight: the one-at-a-time choice', () => {
    let compared = 0;
    for (let seed = 0; seed < 12; seed++) {
      const random = seededRandom(seed);
      const h = generateHistory(random, { commits: 60 + Math.floor(random() * 200), forkRate: 0.15, mergeRate: 0.15 });
      const policy: BayesPolicy = { ...flaky, detection: 0.4 + 0.5 * random() };
      const runs: [number, 'good' | 'bad'][] = [[h.tip, 'bad']];
      for (let i = 0; i < 6; i++) runs.push([1 + Math.floor(random() * (h.parents.length - 1)), random() < 0.5 ? 'good' : 'bad']);
      const state = stateWith(h, { ...policy, falsePositive: 0.05 }, runs);
      const single = chooseBayes(state, indexGraph(state.graph), state.policy as BayesPolicy);
      if (single.kind !== 'test') continue;
      expect(batch(state, 1), `seed ${seed}`).toEqual([state.graph.commits[single.commit]]);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(8);
  });

  it('a flaky reproducer gets several runs of the most telling commit at once; a reliable one never runs a commit twice', () => {
    // Clean runs at 9 leave the posterior split between 9 and 10: only runs of 9 tell them apart.
    const h = linearHistory(11);
    const runs: [number, 'good' | 'bad'][] = [[10, 'bad'], [10, 'bad'], [10, 'bad'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good'], [8, 'good']];
    const picks = batch(stateWith(h, { ...flaky, detection: 0.5 }, runs), 4);
    expect(picks.filter((c) => c === fakeSha(9)).length).toBeGreaterThan(1);
    const once = batch(stateWith(linearHistory(40), reliable, [[39, 'bad']]), 8);
    expect(new Set(once).size).toBe(once.length);
  });

  it('runs in flight are taken into account: new picks go where they add to them, not on top of them', () => {
    const state = stateWith(linearHistory(17), reliable, [[16, 'bad']]);
    expect(batch(state, 2, [8]).sort()).toEqual([4, 12].map(fakeSha).sort());
  });

  it('merges: a batch on a DAG picks distinct commits whose ancestor sets cut the posterior, and k picks are never worse than k-1 in information', () => {
    const h = generateHistory(seededRandom(4), { commits: 300, forkRate: 0.2, mergeRate: 0.2 });
    const state = stateWith(h, reliable, [[h.tip, 'bad']]);
    const picks = batch(state, 4);
    expect(new Set(picks).size).toBe(4);
    // The first pick is the one-at-a-time pick: a batch extends it.
    expect(batch(state, 1)).toEqual(picks.slice(0, 1));
  });
});

describe('bayes with k > 1 in the reducer', () => {
  const tests = (s: Step) => s.commands.flatMap((c) => (c.type === 'test' ? [c] : []));
  const cancels = (s: Step) => s.commands.flatMap((c) => (c.type === 'cancel-test' ? [c] : []));

  it('calibration runs at the bad end go out together, each with its own run index', () => {
    const { graph, good, bad } = graphOf(linearHistory(50));
    const step = startBisection({ graph, bad, goods: [good], policy: { kind: 'bayes' }, parallel: 4 });
    expect(tests(step).map((t) => [t.commit, t.purpose, t.run ?? 0])).toEqual([0, 1, 2, 3].map((run) => [bad, 'calibrate', run]));
  });

  it('a showing that rules out one side makes the runs there moot: they are cancelled, and a late verdict is recorded without harm', () => {
    const h = linearHistory(33);
    const { graph, good, bad } = graphOf(h);
    let step = startBisection({ graph, bad, goods: [good], policy: { kind: 'bayes', detection: 1 }, parallel: 3 });
    step = next(step.state, { type: 'verdict', commit: bad, purpose: 'calibrate', verdict: 'bad' });
    const out = tests(step);
    expect(out).toHaveLength(3);
    // The lowest of the three shows the bug: with no false positives, the other two (above it) can tell nothing any more.
    const index = indexGraph(graph);
    const lowest = [...out].sort((a, b) => index.indexOf.get(b.commit)! - index.indexOf.get(a.commit)!)[0]!;
    step = next(step.state, { type: 'verdict', commit: lowest.commit, verdict: 'bad' });
    const cancelled = cancels(step).map((c) => c.commit).sort();
    expect(cancelled).toEqual(out.filter((t) => t !== lowest).map((t) => t.commit).sort());
    expect(step.state.moot?.map((r) => r.commit).sort()).toEqual(cancelled);
    // The cancelled runs' machines are used again at once: three new runs among the 8 commits left.
    expect(tests(step)).toHaveLength(3);
    const late = next(step.state, { type: 'verdict', commit: cancelled[0]!, verdict: 'bad' });
    expect(late.commands.filter((c) => c.type === 'rejected')).toEqual([]);
    expect(late.state.history.at(-1)).toMatchObject({ commit: cancelled[0], verdict: 'bad' });
  });

  it('fix terms: k = 3 finds the first fixed commit of a flaky bug, calibrating at the old end', () => {
    const h = generateHistory(seededRandom(8), { commits: 200, forkRate: 0.1, mergeRate: 0.1 });
    const { graph, good, bad } = graphOf(h);
    // The fix is commit 120: the bug shows (70% of runs) on every commit without it.
    const fixed = new Set([...descendantsOf(h, 120)].map(fakeSha));
    const noise = seededRandom(3);
    const out = simulateParallel({ graph, bad, goods: [good], terms: 'fix', policy: { kind: 'bayes', confidence: 0.99 }, parallel: 3 }, (sha) => (!fixed.has(sha) && noise() < 0.7 ? 'bad' : 'good'), { random: seededRandom(4) });
    expect(out.rejections).toEqual([]);
    expect(out.state).toMatchObject({ status: 'found', culprit: fakeSha(120) });
    expect(out.state.history.some((r) => r.commit === good && r.purpose === 'calibrate')).toBe(true);
  });

  it('raising k while a culprit is being verified leaves the verification run alone', () => {
    const h = linearHistory(20);
    const { graph, good, bad } = graphOf(h);
    let step = startBisection({ graph, bad, goods: [good], policy: { kind: 'bayes', detection: 1 }, verify: { revert: false } });
    for (let guard = 0; guard < 50; guard++) {
      const [t] = tests(step);
      if (t === undefined || t.purpose === 'verify-culprit') break;
      const index = Number([...Array(20).keys()].find((i) => fakeSha(i) === t.commit));
      step = next(step.state, { type: 'verdict', commit: t.commit, purpose: t.purpose ?? 'bisect', run: t.run ?? 0, verdict: index >= 12 ? 'bad' : 'good' });
    }
    expect(tests(step)[0]).toMatchObject({ purpose: 'verify-culprit' });
    const wider = next(step.state, { type: 'parallel', k: 3 });
    expect(cancels(wider)).toEqual([]);
    expect(tests(wider)).toEqual(tests(step));
  });

  it('lowering k to 1 mid-way goes back to one run at a time without reusing a run index', () => {
    const { graph, good, bad } = graphOf(linearHistory(40));
    let step = startBisection({ graph, bad, goods: [good], policy: { kind: 'bayes' }, parallel: 4 });
    const first = tests(step);
    // Run 3 lands first, then k drops; runs 0-2 are still out.
    step = next(step.state, { type: 'verdict', commit: bad, purpose: 'calibrate', run: 3, verdict: 'bad' });
    step = next(step.state, { type: 'parallel', k: 1 });
    for (const t of first.slice(0, 3)) step = next(step.state, { type: 'verdict', commit: t.commit, purpose: 'calibrate', run: t.run ?? 0, verdict: 'bad' });
    const seen = new Set<string>();
    for (let guard = 0; guard < 10 && step.state.status === 'running'; guard++) {
      const [t] = tests(step);
      if (t === undefined) break;
      const key = `${t.commit}:${t.purpose ?? 'bisect'}:${t.run ?? 0}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      expect(step.state.history.some((r) => r.commit === t.commit && (r.purpose ?? 'bisect') === (t.purpose ?? 'bisect') && (r.run ?? 0) === (t.run ?? 0))).toBe(false);
      step = next(step.state, { type: 'verdict', commit: t.commit, purpose: t.purpose ?? 'bisect', run: t.run ?? 0, verdict: 'bad' });
      expect(step.commands.filter((c) => c.type === 'rejected')).toEqual([]);
    }
  });
});
