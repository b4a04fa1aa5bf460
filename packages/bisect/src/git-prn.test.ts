import { describe, expect, it } from 'vitest';
import { gitPrn, gitSkipAwayIndex, gitSqrti } from './git-prn.js';

describe("git's skip-away bias", () => {
  it('integer square root matches the exact one over the range git uses', () => {
    for (let v = 1; v < 32768; v += 7) expect(Math.abs(gitSqrti(v) - Math.floor(Math.sqrt(v)))).toBeLessThanOrEqual(1);
    expect(gitSqrti(32768)).toBe(181);
  });
  it('prn stays in range and the index stays inside the list', () => {
    for (let count = 1; count < 5000; count++) {
      expect(gitPrn(count)).toBeLessThan(32768);
      const at = gitSkipAwayIndex(count);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThan(count);
    }
  });
});
