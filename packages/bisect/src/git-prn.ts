/**
 * git's skip-away bias (bisect.c `get_prn`, `sqrti`, `skip_away`), reproduced
 * bit for bit — 32-bit unsigned arithmetic and single-precision floats — so
 * that with skipped commits the engine walks the same path as `git bisect`,
 * and therefore ends with the same ambiguous set on histories with merges.
 */
const PRN_MODULO = 32768;

export function gitPrn(count: number): number {
  const c = (Math.imul(count, 1103515245) + 12345) >>> 0;
  return Math.floor(c / 65536) % PRN_MODULO;
}

export function gitSqrti(val: number): number {
  if (val === 0) return 0;
  const f = Math.fround;
  const v = f(val);
  let x = v;
  let d: number;
  do {
    const y = f(f(x + f(v / x)) / 2);
    d = y > x ? f(y - x) : f(x - y);
    x = y;
  } while (d >= 0.5);
  return Math.trunc(x);
}

/** The position in a list of `count` testable commits that `git bisect` moves to when its best pick is skipped. */
export function gitSkipAwayIndex(count: number): number {
  const prn = gitPrn(count);
  const scaled = Math.trunc(Math.imul(count, prn) / PRN_MODULO);
  return Math.trunc((scaled * gitSqrti(prn)) / gitSqrti(PRN_MODULO));
}
