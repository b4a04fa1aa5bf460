/**
 * Flaky policies with k runs at once, driven in rounds with random verdict
 * arrival orders (testing/simulate-parallel): the bayes answer is right at
 * least as often as its confidence says, rounds fall as k grows, and the
 * repeat policy shares k machines among a few commits with several runs each.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { repeatPoints } from './repeat-parallel-search.js';
import { next, startBisection } from './reducer.js';
import type { Step, Verdict } from './state.js';
import { deterministicOracle, descendantsOf, fakeSha, generateHistory, graphOf, linearHistory, seededRandom, simulate, simulateParallel, type GeneratedHistory, type RunContext } from './testing/index.js';

/** A reproducer that misses the bug at `falseNegative` on every run, independently. */
function flakyOracle(history: GeneratedHistory, culprit: number, falseNegative: number, seed: number): (sha: string, ctx: RunContext) => Verdict {
  const bad = new Set([...descendantsOf(history, culprit)].map(fakeSha));
  const noise = seededRandom(seed);
  return (sha) => (bad.has(sha) && noise() >= falseNegative ? 'bad' : 'good');
}

describe('bayes with k runs at once: property over seeds', () => {
  const CONFIDENCE = 0.9;
  const CASES = 24;
  const WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8];
  const results: { k: number; right: number; found: number; meanRounds: number; wrongSets: string[] }[] = [];
  // Every (k, seed): a random DAG with merges, a random culprit, a random arrival order.
  // Async and yielding between cases: one long synchronous stretch starves the test runner's own messages.
  beforeAll(async () => {
    for (const k of WIDTHS) {
      let right = 0;
      let found = 0;
      let rounds = 0;
      const wrongSets: string[] = [];
      for (let s = 0; s < CASES; s++) {
        await new Promise((resolve) => setImmediate(resolve));
        const random = seededRandom(9000 + s);
        const history = generateHistory(random, { commits: 150 + Math.floor(random() * 250), forkRate: 0.1, mergeRate: 0.1 });
        const { graph, good, bad } = graphOf(history);
        const culprit = 1 + Math.floor(random() * (history.parents.length - 1));
        const falseNegative = [0.2, 0.4][s % 2]!;
        const out = simulateParallel(
          { graph, bad, goods: [good], policy: { kind: 'bayes', confidence: CONFIDENCE }, parallel: k },
          flakyOracle(history, culprit, falseNegative, 31 * s + k),
          { random: seededRandom(77 * s + k), lateResultRate: 0.3 },
        );
        expect(out.rejections, `k=${k} seed ${s}`).toEqual([]);
        rounds += out.rounds;
        if (out.state.status === 'found') {
          found++;
          if (out.state.culprit === fakeSha(culprit)) right++;
        } else if (out.state.status === 'ambiguous' && !out.state.candidates?.includes(fakeSha(culprit))) wrongSets.push(`k=${k} seed ${s}`);
      }
      results.push({ k, right, found, meanRounds: rounds / CASES, wrongSets });
    }
    console.log(results.map((r) => `k=${r.k}: ${r.right}/${r.found} found right, ${CASES - r.found} not found, ${r.meanRounds.toFixed(1)} rounds`).join('\n'));
  }, 600_000);

  it.each(WIDTHS)('k = %i: a found culprit is the true one as often as the confidence promises (within two standard errors)', (k) => {
    const r = results.find((x) => x.k === k)!;
    expect(r.found).toBeGreaterThanOrEqual(CASES * 0.8);
    expect(r.right / r.found).toBeGreaterThanOrEqual(CONFIDENCE - 2 * Math.sqrt((CONFIDENCE * (1 - CONFIDENCE)) / r.found));
    expect(r.wrongSets).toEqual([]);
  });

  it('over every k and seed together, a found culprit is the true one at least as often as the confidence promises', () => {
    const right = results.reduce((n, r) => n + r.right, 0);
    const found = results.reduce((n, r) => n + r.found, 0);
    expect(right / found).toBeGreaterThanOrEqual(CONFIDENCE);
  });

  it('rounds fall as k grows (each k no worse than the one before, within noise; k = 8 under half of k = 1)', () => {
    for (let i = 1; i < results.length; i++) expect(results[i]!.meanRounds, `k=${results[i]!.k}`).toBeLessThanOrEqual(results[i - 1]!.meanRounds * 1.08);
    expect(results[7]!.meanRounds).toBeLessThan(results[0]!.meanRounds * 0.5);
  });
});

describe('repeat with k runs at once', () => {
  const tests = (s: Step): { commit: string; run: number }[] => s.commands.flatMap((c) => (c.type === 'test' ? [{ commit: c.commit, run: c.run ?? 0 }] : []));
  const cancels = (s: Step): string[] => s.commands.flatMap((c) => (c.type === 'cancel-test' ? [c.commit] : []));

  it.each([
    // [k, goodAfter, commits open at once]
    [1, 10, 1],
    [4, 10, 1],
    [8, 1, 8],
    [20, 10, 2],
    [30, 10, 3],
    [4, 3, 1],
    [8, 3, 2],
  ])('k = %i, good after %i clean runs: %i commit(s) open at once', (k, goodAfter, points) => {
    expect(repeatPoints(k, goodAfter)).toBe(points);
  });

  it('k = 4 with good after 10: four runs of one commit at once; its first showing decides it and cancels the other three', () => {
    const { graph, good, bad } = graphOf(linearHistory(65));
    let step = startBisection({ graph, bad, goods: [good], policy: { kind: 'repeat', badAfter: 1, goodAfter: 10 }, parallel: 4 });
    const out = tests(step);
    expect(new Set(out.map((t) => t.commit)).size).toBe(1);
    expect(out.map((t) => t.run)).toEqual([0, 1, 2, 3]);
    step = next(step.state, { type: 'verdict', commit: out[2]!.commit, run: 2, verdict: 'bad' });
    expect(cancels(step)).toEqual([out[0]!.commit, out[0]!.commit, out[0]!.commit]);
    expect(new Set(tests(step).map((t) => t.commit)).size).toBe(1);
    expect(tests(step)[0]!.commit).not.toBe(out[0]!.commit);
  });

  it('k = 4 with good after 6: two commits with two runs each; clean runs keep them open with fresh run indices until decided', () => {
    const { graph, good, bad } = graphOf(linearHistory(65));
    let step = startBisection({ graph, bad, goods: [good], policy: { kind: 'repeat', badAfter: 1, goodAfter: 6 }, parallel: 4 });
    const first = tests(step);
    const commits = [...new Set(first.map((t) => t.commit))];
    expect(commits).toHaveLength(2);
    for (const c of commits) expect(first.filter((t) => t.commit === c).map((t) => t.run)).toEqual([0, 1]);
    for (const t of first) step = next(step.state, { type: 'verdict', commit: t.commit, run: t.run, verdict: 'good' });
    const handed = step.state.inFlight!;
    for (const c of commits) expect(handed.filter((r) => r.commit === c).map((r) => r.run)).toEqual([2, 3]);
    // Two more clean runs each decide them good: both leave the candidates, nothing of theirs stays in flight.
    for (const r of handed) step = next(step.state, { type: 'verdict', commit: r.commit, run: r.run, verdict: 'good' });
    for (const r of step.state.inFlight!) step = next(step.state, { type: 'verdict', commit: r.commit, run: r.run, verdict: 'good' });
    expect(step.state.inFlight!.some((r) => commits.includes(r.commit))).toBe(false);
    expect(step.state.status).toBe('running');
  });

  it('with goodAfter = badAfter = 1 and a reliable reproducer, k = 1..8 find git\'s culprit on DAGs with merges', () => {
    for (let s = 0; s < 6; s++) {
      const h = generateHistory(seededRandom(300 + s), { commits: 500, forkRate: 0.12, mergeRate: 0.12 });
      const { graph, good, bad } = graphOf(h);
      const oracle = deterministicOracle(h, 1 + ((s * 97) % 498));
      const git = simulate({ graph, bad, goods: [good] }, oracle).state.culprit;
      for (let k = 1; k <= 8; k++) {
        const out = simulateParallel({ graph, bad, goods: [good], policy: { kind: 'repeat', badAfter: 1, goodAfter: 1 }, parallel: k }, oracle, { random: seededRandom(k * 11 + s), lateResultRate: 0.3 });
        expect(out.rejections).toEqual([]);
        expect(out.state.culprit, `seed ${s} k=${k}`).toBe(git);
      }
    }
  });

  it('with a flaky reproducer, more machines mean fewer rounds for the same answer', () => {
    const h = generateHistory(seededRandom(12), { commits: 1000 });
    const { graph, good, bad } = graphOf(h);
    const rounds = [1, 4, 20].map((k) => {
      const out = simulateParallel({ graph, bad, goods: [good], policy: { kind: 'repeat', badAfter: 1, goodAfter: 10 }, parallel: k }, flakyOracle(h, 600, 0.5, k), { random: seededRandom(k) });
      expect(out.state.culprit, `k=${k}`).toBe(fakeSha(600));
      return out.rounds;
    });
    expect(rounds[1]!).toBeLessThan(rounds[0]! / 2);
    expect(rounds[2]!).toBeLessThan(rounds[1]!);
  });
});
