import { describe, expect, it } from 'vitest';
import { descendantsOf, fakeSha, graphOf, simulate, type GeneratedHistory } from './testing/index.js';
import type { RunContext } from './testing/simulate.js';
import type { Verdict } from './state.js';

const linear = (n: number): GeneratedHistory => ({ parents: Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1])), tip: n - 1 });
const history = linear(32);
const { graph, good, bad } = graphOf(history);
const culprit = 20;
const badSet = new Set([...descendantsOf(history, culprit)].map(fakeSha));
const honest = (sha: string): Verdict => (badSet.has(sha) ? 'bad' : 'good');

describe('checking the endpoints before the first step', () => {
  const scenarios: { name: string; oracle: (sha: string, ctx: RunContext) => Verdict; policy?: { kind: 'repeat'; goodAfter: number }; status: string; error?: RegExp; tests?: number }[] = [
    { name: 'ends as expected: the bisection proceeds to the culprit', oracle: honest, status: 'found' },
    { name: 'the good end fails: an older bug, stop before the first step', oracle: (sha) => (sha === good ? 'bad' : honest(sha)), status: 'failed', error: /fails at the good commit .*older bug.*another good commit/, tests: 2 },
    { name: 'the bad end passes: the bug does not reproduce', oracle: (sha) => (sha === bad ? 'good' : honest(sha)), status: 'failed', error: /bad commit .* does not reproduce \(1 clean run/, tests: 1 },
    { name: 'the bad end cannot be built', oracle: (sha) => (sha === bad ? 'skip' : honest(sha)), status: 'failed', error: /bad commit .* cannot be tested/, tests: 1 },
    { name: 'a flaky bad end gets the policy\'s runs: it shows on the 3rd', oracle: (sha, ctx) => (sha === bad ? (ctx.purpose === 'check-bad' && ctx.run < 2 ? 'good' : 'bad') : honest(sha)), policy: { kind: 'repeat', goodAfter: 4 }, status: 'found' },
    { name: 'a flaky good end that shows the bug once in 4 runs fails the check', oracle: (sha, ctx) => (sha === good && ctx.run === 3 ? 'bad' : honest(sha)), policy: { kind: 'repeat', goodAfter: 4 }, status: 'failed', error: /1 of 4 run\(s\) showed the bug/ },
  ];
  it.each(scenarios)('$name', (s) => {
    const { state, tested } = simulate({ graph, bad, goods: [good], checkEndpoints: true, ...(s.policy ? { policy: s.policy } : {}) }, s.oracle);
    expect(state.status).toBe(s.status);
    if (s.status === 'found') expect(state.culprit).toBe(fakeSha(culprit));
    if (s.error) expect(state.error).toMatch(s.error);
    if (s.tests !== undefined) expect(tested).toHaveLength(s.tests);
    expect(state.endpoints?.length).toBeGreaterThan(0);
  });

  it('tests the bad end, then the good end, then bisects exactly as without the check', () => {
    const plain = simulate({ graph, bad, goods: [good] }, honest);
    const checked = simulate({ graph, bad, goods: [good], checkEndpoints: true }, honest);
    expect(checked.tested.slice(0, 2)).toEqual([bad, good]);
    expect(checked.tested.slice(2)).toEqual(plain.tested);
    expect(checked.state.endpoints).toEqual([
      { commit: bad, end: 'bad', outcome: 'as-expected', runs: 1, failures: 1 },
      { commit: good, end: 'good', outcome: 'as-expected', runs: 1, failures: 0 },
    ]);
  });

  it('is off unless asked for', () => {
    expect(simulate({ graph, bad, goods: [good] }, honest).tested[0]).not.toBe(bad);
  });
});
