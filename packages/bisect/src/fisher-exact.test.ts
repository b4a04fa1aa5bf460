import { describe, expect, it } from 'vitest';
import { fisherExactTwoSided } from './fisher-exact.js';

describe('Fisher exact test', () => {
  it.each([
    // Known values (R: fisher.test(matrix(c(a,c,b,d),2))$p.value).
    [[3, 1, 1, 3], 0.4857],
    [[10, 0, 0, 10], 1.083e-5],
    [[0, 10, 8, 2], 0.0007],
    [[5, 5, 5, 5], 1],
  ])('table %j → p ≈ %f', (t, p) => {
    const [a, b, c, d] = t as [number, number, number, number];
    expect(fisherExactTwoSided(a, b, c, d)).toBeCloseTo(p, 3);
  });
});
