import { describe, expect, it } from 'vitest';
import { targetWeights } from './parallel-choice.js';
import { next, startBisection } from './reducer.js';
import { toResult } from './result.js';
import type { BisectCommand, Step, Verdict } from './state.js';
import { fakeSha, generateHistory, graphOf, seededRandom, simulate, simulateParallel, linearHistory as linear, deterministicOracle as oracleFor } from './testing/index.js';

const tests = (s: Step): string[] => s.commands.flatMap((c) => (c.type === 'test' ? [c.commit] : []));
const cancels = (s: Step): string[] => s.commands.flatMap((c) => (c.type === 'cancel-test' ? [c.commit] : []));
const verdict = (s: Step, commit: string, v: Verdict): Step => next(s.state, { type: 'verdict', commit, verdict: v });

describe('multisection: where k points go', () => {
  it('k points cut an empty range into k+1 equal parts', () => {
    expect(targetWeights([], 16, 3)).toEqual([4, 8, 12]);
  });
  it('new points split the largest gaps left by the runs in flight', () => {
    expect(targetWeights([4, 8], 16, 1)).toEqual([12]);
    expect(targetWeights([2], 20, 2)).toEqual([8, 14]);
  });
  it('on a linear range of 16 candidates, k = 3 tests the commits at weights 4, 8 and 12', () => {
    const { graph, good, bad } = graphOf(linear(17));
    const step = startBisection({ graph, bad, goods: [good], parallel: 3 });
    expect(tests(step).sort()).toEqual([4, 8, 12].map(fakeSha).sort());
    expect(step.state.inFlight?.map((r) => r.commit).sort()).toEqual([4, 8, 12].map(fakeSha).sort());
  });
});

describe('multisection: verdicts in any order', () => {
  it('a bad verdict below runs in flight cancels them, and their late results are still recorded', () => {
    const h = linear(17);
    const { graph, good, bad } = graphOf(h);
    let step = startBisection({ graph, bad, goods: [good], parallel: 3 });
    step = verdict(step, fakeSha(4), 'bad');
    expect(cancels(step).sort()).toEqual([8, 12].map(fakeSha).sort());
    expect(step.commands.find((c) => c.type === 'cancel-test')).toMatchObject({ reason: expect.stringContaining('moot') });
    // 8 and 12 lost the race with their cancel: recorded, not rejected, and the search goes on.
    step = verdict(step, fakeSha(12), 'bad');
    expect(step.commands.filter((c) => c.type === 'rejected')).toEqual([]);
    expect(step.state.history.some((r) => r.commit === fakeSha(12) && r.verdict === 'bad')).toBe(true);
    expect(step.state.status).toBe('running');
  });

  it('JSON round trips of the state between verdicts do not change the answer', () => {
    const h = generateHistory(seededRandom(5), { commits: 400, forkRate: 0.1, mergeRate: 0.1 });
    const { graph, good, bad } = graphOf(h);
    const oracle = oracleFor(h, 123);
    let step = startBisection({ graph, bad, goods: [good], parallel: 4 });
    const queue = tests(step);
    while (queue.length > 0) {
      const sha = queue.pop()!;
      step = next(JSON.parse(JSON.stringify(step.state)), { type: 'verdict', commit: sha, verdict: oracle(sha) });
      for (const c of step.commands) if (c.type === 'test') queue.unshift(c.commit);
      for (const c of cancels(step)) queue.splice(queue.indexOf(c), 1);
    }
    expect(step.state.status).toBe('found');
    expect(step.state.culprit).toBe(fakeSha(123));
    expect(step.state.inFlight).toBeUndefined();
  });

  it('a verdict that contradicts known ones is still refused, moot or not', () => {
    const { graph, good, bad } = graphOf(linear(17));
    let step = startBisection({ graph, bad, goods: [good], parallel: 3 });
    step = verdict(step, fakeSha(8), 'good');
    // 4 is an ancestor of a good commit: its bad verdict is a contradiction, not a race.
    const refused = verdict(step, fakeSha(4), 'bad');
    expect(refused.commands[0]).toMatchObject({ type: 'rejected', code: 'KBISECT_ERR_CONTRADICTS_HISTORY' });
  });
});

describe('multisection: k changes while running', () => {
  it('raising k keeps the run waiting in flight and adds the rest around it', () => {
    const { graph, good, bad } = graphOf(linear(33));
    const first = startBisection({ graph, bad, goods: [good] });
    const [waiting] = tests(first);
    const wider = next(first.state, { type: 'parallel', k: 3 });
    expect(cancels(wider)).toEqual([]);
    expect(tests(wider)).toHaveLength(2);
    expect(wider.state.inFlight?.map((r) => r.commit)).toContain(waiting);
  });

  it('lowering k to 1 lets the runs in flight finish, then walks git\'s path again', () => {
    const h = linear(65);
    const { graph, good, bad } = graphOf(h);
    const oracle = oracleFor(h, 40);
    let step = startBisection({ graph, bad, goods: [good], parallel: 3 });
    const flying = tests(step);
    step = next(step.state, { type: 'parallel', k: 1 });
    expect(tests(step)).toEqual([]);
    for (const sha of flying) if (step.state.status === 'running' && !cancels(step).includes(sha)) step = verdict(step, sha, oracle(sha));
    while (step.state.status === 'running') {
      const [sha] = tests(step) as [string];
      expect(step.state.inFlight).toBeUndefined();
      step = verdict(step, sha, oracle(sha));
    }
    expect(step.state.culprit).toBe(fakeSha(40));
  });

  it.each([
    [0, 'parallel must be an integer from 1 to 64, not 0'],
    [65, 'parallel must be an integer from 1 to 64, not 65'],
    [2.5, 'parallel must be an integer from 1 to 64, not 2.5'],
  ])('parallel %s is refused with a message naming the field', (k, message) => {
    const { graph, good, bad } = graphOf(linear(9));
    const step = startBisection({ graph, bad, goods: [good], parallel: k });
    expect(step.commands[0]).toMatchObject({ type: 'rejected', code: 'KBISECT_ERR_INVALID_PARALLEL', message });
    const running = startBisection({ graph, bad, goods: [good] });
    expect(next(running.state, { type: 'parallel', k }).commands[0]).toMatchObject({ code: 'KBISECT_ERR_INVALID_PARALLEL', message });
  });

  it.each([
    [{ kind: 'bayes', detection: 0.7 } as const],
    [{ kind: 'repeat', badAfter: 1, goodAfter: 3 } as const],
  ])('a flaky policy (%o) takes k > 1 and hands out several runs at once (flaky-parallel.test.ts has the rest)', (policy) => {
    const { graph, good, bad } = graphOf(linear(9));
    const step = startBisection({ graph, bad, goods: [good], parallel: 3, policy });
    expect(tests(step).length).toBeGreaterThan(1);
    expect(step.state.inFlight).toHaveLength(tests(step).length);
  });
});

describe('multisection: answers', () => {
  it('k = 1 is git\'s path exactly (the same commits in the same order)', () => {
    const h = generateHistory(seededRandom(9), { commits: 800 });
    const { graph, good, bad } = graphOf(h);
    const oracle = oracleFor(h, 301, [300, 302, 500]);
    const serial = simulate({ graph, bad, goods: [good] }, oracle);
    const one = simulate({ graph, bad, goods: [good], parallel: 1 }, oracle);
    expect(one.tested).toEqual(serial.tested);
    expect(one.state.candidates).toEqual(serial.state.candidates);
  });

  it('with skips around the culprit the answer is an honest ambiguous set holding it', () => {
    const h = linear(200);
    const { graph, good, bad } = graphOf(h);
    const untestable = { [fakeSha(119)]: 'CONFIG_X not set' };
    const out = simulateParallel({ graph, bad, goods: [good], parallel: 4, untestable }, oracleFor(h, 120, [118, 120]), { random: seededRandom(1) });
    expect(out.state.status).toBe('ambiguous');
    expect(out.state.candidates).toContain(fakeSha(120));
    expect(out.rejections).toEqual([]);
    // The untestable candidate is in the verdicts as a skip that cost no build.
    expect(toResult('x', out.state).verdicts).toContainEqual(expect.objectContaining({ commit: fakeSha(119), source: 'untestable', verdict: 'skip' }));
  });

  it('k = 3 needs about half of git\'s rounds on a 4,000-commit history', () => {
    const h = generateHistory(seededRandom(11), { commits: 4000 });
    const { graph, good, bad } = graphOf(h);
    const oracle = oracleFor(h, 2222);
    const git = simulate({ graph, bad, goods: [good] }, oracle).tested.length;
    const out = simulateParallel({ graph, bad, goods: [good], parallel: 3 }, oracle, { random: seededRandom(2) });
    expect(out.state.culprit).toBe(fakeSha(2222));
    expect(out.rounds).toBeLessThanOrEqual(Math.ceil(git * 0.6));
  });

  it('finished commands carry the answer; cancels come before new tests in one step', () => {
    const { graph, good, bad } = graphOf(linear(17));
    let step = startBisection({ graph, bad, goods: [good], parallel: 3 });
    step = verdict(step, fakeSha(12), 'good');
    step = verdict(step, fakeSha(8), 'good');
    const kinds = (cmds: readonly BisectCommand[]): string[] => cmds.map((c) => c.type);
    step = verdict(step, fakeSha(4), 'good');
    expect(kinds(step.commands).every((k) => k === 'test' || k === 'cancel-test')).toBe(true);
    const out = simulateParallel({ graph, bad, goods: [good], parallel: 3 }, oracleFor(linear(17), 16), { random: seededRandom(3) });
    expect(out.state.culprit).toBe(fakeSha(16));
  });
});
