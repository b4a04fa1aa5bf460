import { describe, expect, it } from 'vitest';
import { verificationLines } from './verification-lines.js';

describe('verification in the report', () => {
  it('says what was checked and how it came out', () => {
    expect(verificationLines({
      culprit: { outcome: 'confirmed', runs: 1, failures: 1 },
      parents: { outcome: 'confirmed', runs: 1, failures: 0 },
      revert: { outcome: 'fixed', runs: 1, failures: 0, baselineRuns: 1, baselineFailures: 1, pValue: 1 },
    })).toEqual([
      '  the culprit shows the bug again: yes (1 of 1 run fail)',
      '  its parent(s) stay clean: yes (0 of 1 run fail)',
      '  the bad end with the culprit reverted: fixed (0 of 1 run fail; 1 of 1 without the revert)',
    ]);
  });
  it('flags a refuted check, gives a flaky check its p-value, and names why a revert was not tested', () => {
    expect(verificationLines({ parents: { outcome: 'refuted', runs: 6, failures: 2 } })).toEqual(['  its parent(s) stay clean: NO (2 of 6 runs fail)']);
    expect(verificationLines({ revert: { outcome: 'improved', runs: 12, failures: 1, baselineRuns: 12, baselineFailures: 7, pValue: 0.0272 } })[0]).toBe('  the bad end with the culprit reverted: improved (1 of 12 runs fail; 7 of 12 without the revert, p = 0.027)');
    expect(verificationLines({ revert: { outcome: 'unavailable', reason: 'reverting abc conflicts' } })).toEqual(['  the bad end with the culprit reverted: not tested (reverting abc conflicts)']);
    expect(verificationLines({ revert: { outcome: 'fixed', runs: 1, failures: 0, baselineRuns: 1, baselineFailures: 1, pValue: 1, evidence: 'console-abc-verify-revert-0-a1', buildEvidence: 'build-abc-verify-revert-0' } })[0]).toBe('  the bad end with the culprit reverted: fixed (0 of 1 run fail; 1 of 1 without the revert); evidence: console-abc-verify-revert-0-a1, build-abc-verify-revert-0');
  });
});
