/**
 * Two-sided Fisher exact test on a 2×2 table [[a, b], [c, d]]: the chance,
 * with the margins fixed, of a table at least as unlikely as this one. Used to
 * say whether reverting a culprit changed the failure rate beyond chance.
 */
export function fisherExactTwoSided(a: number, b: number, c: number, d: number): number {
  const row1 = a + b;
  const col1 = a + c;
  const n = a + b + c + d;
  const logFact = (k: number): number => {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  };
  const lf = Array.from({ length: n + 1 }, (_, k) => k).map(logFact);
  const logP = (x: number): number => lf[row1]! + lf[n - row1]! + lf[col1]! + lf[n - col1]! - lf[n]! - lf[x]! - lf[row1 - x]! - lf[col1 - x]! - lf[n - row1 - col1 + x]!;
  const observed = logP(a);
  let p = 0;
  for (let x = Math.max(0, row1 + col1 - n); x <= Math.min(row1, col1); x++) {
    const lp = logP(x);
    if (lp <= observed + 1e-9) p += Math.exp(lp);
  }
  return Math.min(1, p);
}
