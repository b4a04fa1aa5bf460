import { describe, expect, it } from 'vitest';
import { startBisection, next } from './reducer.js';
import type { Step, Verdict } from './state.js';
import { descendantsOf, fakeSha, generateHistory, graphOf, seededRandom, simulate, type GeneratedHistory } from './testing/index.js';

const linear = (n: number): GeneratedHistory => ({ parents: Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1])), tip: n - 1 });

function flakyOracle(history: GeneratedHistory, culprit: number, p: number, seed: number): (sha: string) => Verdict {
  const bad = new Set([...descendantsOf(history, culprit)].map(fakeSha));
  const noise = seededRandom(seed);
  return (sha) => (bad.has(sha) && noise() < p ? 'bad' : 'good');
}

describe('bayes policy', () => {
  it('names the exact culprit in at least 97% of cases at detection 0.5', () => {
    let exact = 0;
    const cases = 120;
    for (let k = 0; k < cases; k++) {
      const random = seededRandom(500 + k);
      const history = generateHistory(random, { commits: 80 + Math.floor(random() * 200) });
      const { graph, good, bad } = graphOf(history);
      const culprit = 1 + Math.floor(random() * (history.parents.length - 1));
      const out = simulate({ graph, bad, goods: [good], policy: { kind: 'bayes' } }, flakyOracle(history, culprit, 0.5, k));
      if (out.state.culprit === fakeSha(culprit)) exact++;
    }
    expect(exact / cases).toBeGreaterThanOrEqual(0.97);
  });

  it('reports an ambiguous set, not the culprit, when the culprit\'s parent is untestable', () => {
    const history = linear(40);
    const { graph, good, bad } = graphOf(history);
    const untestable = { [fakeSha(19)]: 'CONFIG_TRANSPARENT_HUGEPAGE depends on BROKEN' };
    const out = simulate({ graph, bad, goods: [good], untestable, policy: { kind: 'bayes', detection: 0.6 } }, flakyOracle(history, 20, 0.6, 3));
    expect(out.state.status).toBe('ambiguous');
    expect(out.state.candidates).toEqual(expect.arrayContaining([fakeSha(19), fakeSha(20)]));
    expect(out.tested).not.toContain(fakeSha(19));
  });

  it('fails clearly when the bad end never shows the bug', () => {
    const { graph, good, bad } = graphOf(linear(20));
    const out = simulate({ graph, bad, goods: [good], policy: { kind: 'bayes' } }, () => 'good');
    expect(out.state.status).toBe('failed');
    expect(out.state.error).toMatch(/did not show the bug in 30 runs/);
  });

  it('rejects out-of-range settings with the field named', () => {
    const { graph, good, bad } = graphOf(linear(5));
    const step = startBisection({ graph, bad, goods: [good], policy: { kind: 'bayes', confidence: 1.5 } });
    expect(step.commands[0]).toMatchObject({ type: 'rejected', code: 'KBISECT_ERR_INVALID_POLICY', message: expect.stringMatching(/policy\.confidence/) });
  });
});

describe('repeat policy', () => {
  const history = linear(64);
  const { graph, good, bad } = graphOf(history);
  it.each([
    // [badAfter, goodAfter, p, expect exact]
    [1, 12, 0.5, true],
    [1, 1, 1.0, true],
  ])('bad after %i, good after %i at detection %f finds the culprit: %s', (badAfter, goodAfter, p, exact) => {
    const out = simulate({ graph, bad, goods: [good], policy: { kind: 'repeat', badAfter, goodAfter } }, flakyOracle(history, 33, p, 9));
    expect(out.state.culprit === fakeSha(33)).toBe(exact);
  });

  it('hands the same commit out again until it is decided, and a replayed run counts once', () => {
    let step: Step = startBisection({ graph, bad, goods: [good], policy: { kind: 'repeat', badAfter: 2, goodAfter: 3 } });
    const first = step.commands[0];
    if (first?.type !== 'test') throw new Error('expected a test');
    step = next(step.state, { type: 'verdict', commit: first.commit, verdict: 'good', run: 0 });
    step = next(step.state, { type: 'verdict', commit: first.commit, verdict: 'good', run: 0 });
    expect(step.commands[0]).toMatchObject({ type: 'test', commit: first.commit, run: 1 });
    step = next(step.state, { type: 'verdict', commit: first.commit, verdict: 'bad', run: 1 });
    step = next(step.state, { type: 'verdict', commit: first.commit, verdict: 'bad', run: 2 });
    expect(step.commands[0]).toMatchObject({ type: 'test' });
    expect((step.commands[0] as { commit: string }).commit).not.toBe(first.commit);
  });
});

describe('verification', () => {
  it('confirms a deterministic culprit and refutes one whose parent also fails', () => {
    const history = linear(30);
    const { graph, good, bad } = graphOf(history);
    const ok = simulate({ graph, bad, goods: [good], verify: { revert: false } }, flakyOracle(history, 12, 1, 1));
    expect(ok.state.verification).toMatchObject({ culprit: { outcome: 'confirmed' }, parents: { outcome: 'confirmed' } });
    // A probe that lies about the parent only during verification.
    const bad12 = new Set([...descendantsOf(history, 12)].map(fakeSha));
    const lying = simulate({ graph, bad, goods: [good], verify: { revert: false } }, (sha, ctx) => (ctx.purpose === 'verify-parent' || bad12.has(sha) ? 'bad' : 'good'));
    expect(lying.state.verification?.parents?.outcome).toBe('refuted');
  });

  it('checks a deterministic culprit by revert with one run each: fixed when the reverted bad end passes, unchanged when it does not', () => {
    const history = linear(30);
    const { graph, good, bad } = graphOf(history);
    const bad12 = new Set([...descendantsOf(history, 12)].map(fakeSha));
    const purposes: string[] = [];
    const fixed = simulate({ graph, bad, goods: [good], verify: { revert: true } }, (sha, ctx) => {
      purposes.push(ctx.purpose);
      return ctx.purpose === 'verify-revert' ? 'good' : bad12.has(sha) ? 'bad' : 'good';
    });
    expect(fixed.state.verification?.revert).toMatchObject({ outcome: 'fixed', runs: 1, failures: 0, baselineRuns: 1, baselineFailures: 1 });
    expect(purposes.filter((p) => p.startsWith('verify-'))).toEqual(['verify-culprit', 'verify-parent', 'verify-bad', 'verify-revert']);
    const stillBad = simulate({ graph, bad, goods: [good], verify: { revert: true } }, (sha) => (bad12.has(sha) ? 'bad' : 'good'));
    expect(stillBad.state.verification?.revert).toMatchObject({ outcome: 'unchanged', runs: 1, failures: 1 });
  });
});
