/**
 * git's estimate of the steps left after the current one (bisect.c
 * `estimate_bisect_steps`): n = ⌊log2 all⌋, minus one when the remainder is
 * small enough that the last step is more likely not needed.
 */
export function estimateBisectSteps(all: number): number {
  if (all < 3) return 0;
  const n = Math.floor(Math.log2(all));
  const e = 2 ** n;
  const x = all - e;
  return e < 3 * x ? n : n - 1;
}
