import { describe, expect, it } from 'vitest';
import type { BisectState } from '@kbisect/bisect';
import type { BisectionFold } from '@kbisect/service';
import { withEndpointReuseHint } from './endpoint-reuse-hint.js';

const failedBad = {
  status: 'failed', error: 'endpoint check: the bad commit b does not reproduce (1 clean run(s)).',
  endpoints: [{ commit: 'b', end: 'bad', outcome: 'unexpected', runs: 1, failures: 0 }],
} as unknown as BisectState;
const runs = (reused: boolean): Pick<BisectionFold, 'runs'> => ({
  runs: { 'b:check-bad:0': { type: 'verdict', at: '2026-11-30T00:00:00Z', commit: 'b', purpose: 'check-bad', run: 0, verdict: 'good', source: 'probe', ...(reused ? { reused: { bisection: 'other', run: 0 } } : {}) } },
} as unknown as Pick<BisectionFold, 'runs'>);

describe('withEndpointReuseHint', () => {
  it('adds where the failing end\'s verdict came from and the way to test it here', () => {
    expect(withEndpointReuseHint(failedBad, failedBad.error!, runs(true))).toBe(`${failedBad.error}. That end's verdict was reused from bisection other (shared results): resubmit with reuse: false (submit --no-reuse) to test it here, or mark that bisection's result invalid`);
  });
  it('leaves the engine\'s error as it is when the end was tested here, or when nothing failed at the ends', () => {
    expect(withEndpointReuseHint(failedBad, failedBad.error!, runs(false))).toBe(failedBad.error);
    const found = { status: 'found', endpoints: [{ commit: 'b', end: 'bad', outcome: 'as-expected', runs: 1, failures: 1 }] } as unknown as BisectState;
    expect(withEndpointReuseHint(found, 'unrelated', runs(true))).toBe('unrelated');
  });
});
