import { describe, expect, it } from 'vitest';
import { describeEvent } from './commands/watch.js';

const bad = 'a'.repeat(40);
const culprit = 'c'.repeat(40);
const progress = { candidatesLeft: 1, stepsLeft: 1, tested: 6 };

describe('kbisect watch lines', () => {
  it('shows a bisect step with its candidates', () => {
    expect(describeEvent('step-started', { commit: bad, progress: { candidatesLeft: 17, stepsLeft: 3, tested: 0 } }, 0, false)).toMatch(/ step 1: testing aaaaaaaaaaaa: 17 candidates, ~3 steps after this$/);
    expect(describeEvent('step-started', { commit: bad, progress: { candidatesLeft: 2, stepsLeft: 1, tested: 5 } }, 0, false)).toMatch(/ step 6: testing aaaaaaaaaaaa: 2 candidates, ~1 step after this$/);
  });
  it('names endpoint checks and verification runs instead of counting them as steps', () => {
    expect(describeEvent('step-started', { commit: bad, progress, purpose: 'check-bad' }, 0, false)).toMatch(/ checking the bad end: testing aaaaaaaaaaaa$/);
    expect(describeEvent('step-started', { commit: bad, progress, purpose: 'verify-revert', revert: culprit }, 0, false)).toMatch(/ verifying the bad end: testing aaaaaaaaaaaa with cccccccccccc reverted$/);
    expect(describeEvent('verdict', { commit: bad, verdict: 'good', reason: 'test reported good', purpose: 'verify-revert' }, 0, false)).toBe('  aaaaaaaaaaaa with the culprit reverted is good (test reported good)');
    expect(describeEvent('verdict', { commit: bad, verdict: 'bad', reason: 'exit 1', purpose: 'verify-bad' }, 0, false)).toBe('  aaaaaaaaaaaa is bad (exit 1)');
  });
  it('labels forced narrowing runs and shows the forced answer beside the honest one', () => {
    expect(describeEvent('step-started', { commit: bad, progress: { candidatesLeft: 12, stepsLeft: 3, tested: 3 }, purpose: 'narrow' }, 0, false)).toMatch(/ step 4 \(narrowing, forced: BROKEN dropped\): testing aaaaaaaaaaaa: 12 candidates, ~3 steps after this$/);
    expect(describeEvent('verdict', { commit: bad, verdict: 'bad', reason: 'forced (CONFIG_X in mm/Kconfig without BROKEN): exit code 1', purpose: 'narrow' }, 0, false)).toBe('  aaaaaaaaaaaa is bad (forced (CONFIG_X in mm/Kconfig without BROKEN): exit code 1)');
    expect(describeEvent('verdict', { commit: bad, verdict: 'good', reason: 'test reported good', purpose: 'narrow' }, 0, false)).toBe('  aaaaaaaaaaaa is good, forced (test reported good)');
    expect(describeEvent('finished', { status: 'ambiguous', candidates: [bad, culprit], narrowed: { status: 'found', culprit, forced: ['CONFIG_X'], steps: 2 } }, 0, false)).toBe(`finished: ambiguous; narrowed, forced: ${culprit} is the first bad commit`);
  });
  it('shows rounds (tested here, reused, shared), where runs are placed and what k follows, keeping the verdict line as it was', () => {
    const other = '0f0f0f0f-0000-4000-8000-000000000000';
    const round = { n: 2, k: 3, runs: [{ commit: bad, via: 'test' }, { commit: culprit, via: 'test', run: 1 }, { commit: 'b'.repeat(40), via: 'reused', from: other }, { commit: 'd'.repeat(40), via: 'shared', from: other }] };
    expect(describeEvent('round', round, 0, false)).toBe(`round 2 (k=3): testing aaaaaaaaaaaa, cccccccccccc (run 2); reused bbbbbbbbbbbb from ${other}; waiting for dddddddddddd from ${other}`);
    expect(describeEvent('round', { n: 3, k: 1, runs: [{ commit: bad, via: 'test', disputed: 'shared results contradict each other: …' }] }, 0, false)).toBe('round 3 (k=1): testing aaaaaaaaaaaa (cached verdicts disagree: tested here)');
    expect(describeEvent('run-placed', { commit: bad, machine: 'vm-1' }, 0, false)).toBe('    aaaaaaaaaaaa on vm-1');
    expect(describeEvent('parallel', { k: 4, ready: 4, cap: 64 }, 0, false)).toBe('k = 4: 4 ready in the lab, up to 64 at once');
    expect(describeEvent('verdict', { commit: bad, verdict: 'good', reason: 'exit 0', source: 'probe', reused: { bisection: other, run: 0 } }, 0, false)).toBe(`  aaaaaaaaaaaa is good (exit 0) [reused from ${other}]`);
    expect(describeEvent('verdict', { commit: bad, verdict: 'bad', reason: 'exit 1', source: 'probe', machine: 'vm-2' }, 0, false)).toBe('  aaaaaaaaaaaa is bad (exit 1)');    // Endpoint checks and verification runs are answered from the cache too, and say so like a step.
    expect(describeEvent('verdict', { commit: bad, verdict: 'bad', reason: 'exit 1', source: 'probe', purpose: 'check-bad', reused: { bisection: other, run: 0 } }, 0, false)).toBe(`  aaaaaaaaaaaa is bad (exit 1) [reused from ${other}]`);
    expect(describeEvent('verdict', { commit: bad, verdict: 'good', reason: 'exit 0', source: 'probe', purpose: 'verify-revert', reused: { bisection: other, run: 0, purpose: 'verify-revert' } }, 0, false)).toBe(`  aaaaaaaaaaaa with the culprit reverted is good (exit 0) [reused from ${other}]`);
  });
});
