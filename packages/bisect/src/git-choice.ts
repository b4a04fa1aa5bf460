import { interestingParents, type CandidateSet } from './candidates.js';
import { gitSkipAwayIndex } from './git-prn.js';
import type { GraphIndex } from './graph-index.js';

/** What git's `bisect_next_all` would do next, in commit indices. */
export type GitChoice =
  | { readonly kind: 'test'; readonly commit: number }
  | { readonly kind: 'found'; readonly commit: number }
  | { readonly kind: 'ambiguous'; readonly commits: readonly number[] };

export interface GitChoiceInput {
  readonly index: GraphIndex;
  readonly candidates: CandidateSet;
  readonly weights: Int32Array;
  readonly bad: number;
  readonly firstParent: boolean;
  /** Skipped commits; git switches to its sorted, skip-aware mode once any exists, even outside the candidates. */
  readonly skipped: ReadonlySet<number>;
}

/**
 * Reproduces git's choice (bisect.c `find_bisection` + `managed_skipped`):
 * without skips, the first commit found "approximately halfway" in git's own
 * evaluation order, else the best one in list order; with skips, the list
 * sorted by distance then sha, skipping away from skipped commits with git's
 * deterministic pseudo-random bias.
 */
export function chooseLikeGit(input: GitChoiceInput): GitChoice {
  const { index, candidates, weights, bad } = input;
  const list = candidates.list;
  const nr = list.length;
  const distance = (c: number): number => Math.min(weights[c]!, nr - weights[c]!);

  if (input.skipped.size === 0) {
    const pick = earlyHalfway(input, nr) ?? bestInListOrder(list, distance);
    return pick === bad ? { kind: 'found', commit: bad } : { kind: 'test', commit: pick };
  }

  const shas = index.graph.commits;
  const sorted = Array.from(list).sort((a, b) => distance(b) - distance(a) || (shas[a]! < shas[b]! ? -1 : shas[a]! > shas[b]! ? 1 : 0));
  const first = sorted[0]!;
  if (!input.skipped.has(first)) return first === bad ? { kind: 'found', commit: bad } : { kind: 'test', commit: first };

  const tried: number[] = [];
  const testable: number[] = [];
  for (const c of sorted) (input.skipped.has(c) ? tried : testable).push(c);
  if (testable.length === 0) return { kind: 'ambiguous', commits: tried };
  const at = gitSkipAwayIndex(testable.length);
  let pick = testable[0] ?? bad;
  if (at < testable.length) pick = testable[at] !== bad ? testable[at]! : (testable[at - 1] ?? testable[0]!);
  if (pick !== bad) return { kind: 'test', commit: pick };
  return tried.length > 0 ? { kind: 'ambiguous', commits: [...tried, bad] } : { kind: 'found', commit: bad };
}

// git's approx_halfway: ±1 for small ranges, and within ~0.1% of the middle
// (|diff| < nr/1024) for large ones, where it stops counting early.
function isHalfway(weight: number, nr: number): boolean {
  const diff = 2 * weight - nr;
  return (diff >= -1 && diff <= 1) || Math.abs(diff) < Math.trunc(nr / 1024);
}

// git fills weights merges-first, then sweeps single-parent commits, and
// returns the first commit it meets at halfway; which one that is depends on
// that order, so it is replayed here over the exact weights.
function earlyHalfway(input: GitChoiceInput, nr: number): number | undefined {
  const { index, candidates, weights, firstParent } = input;
  const { list, mask } = candidates;
  const known = new Uint8Array(index.n);
  const parentsOf: number[][] = [];
  let unknown = 0;
  for (let k = 0; k < list.length; k++) {
    const c = list[k]!;
    const ps = interestingParents(index, mask, c, firstParent);
    parentsOf[k] = ps;
    if (ps.length !== 1) known[c] = 1;
    else unknown++;
  }
  if (!firstParent) {
    for (let k = 0; k < list.length; k++) {
      const c = list[k]!;
      if (parentsOf[k]!.length >= 2 && isHalfway(weights[c]!, nr)) return c;
    }
  }
  while (unknown > 0) {
    let progressed = false;
    for (let k = 0; k < list.length; k++) {
      const c = list[k]!;
      if (known[c] || !known[parentsOf[k]![0]!]) continue;
      known[c] = 1;
      unknown--;
      progressed = true;
      if (isHalfway(weights[c]!, nr)) return c;
    }
    if (!progressed) break;
  }
  return undefined;
}

function bestInListOrder(list: Int32Array, distance: (c: number) => number): number {
  let best = list[0]!;
  let bestDistance = -1;
  for (const c of list) {
    const d = distance(c);
    if (d > bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
