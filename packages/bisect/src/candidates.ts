import { markAncestors } from './ancestry.js';
import type { GraphIndex } from './graph-index.js';

/** The commits that may still be the first bad one: reachable from bad, from no good. */
export interface CandidateSet {
  /** 1 where the commit is a candidate. */
  readonly mask: Uint8Array;
  /** Candidate indices oldest-first (reverse rev-list order), the order git's bisection walks. */
  readonly list: Int32Array;
}

const REACHABLE = 1;
const UNINTERESTING = 2;

// The last few sets by graph index, memoised like the index itself: a step computes the set for its
// bounds and the fold counts the same set right after (candidateCount); each is O(range). Shared, so
// callers only read them.
const recent = new WeakMap<GraphIndex, { readonly key: string; readonly set: CandidateSet }[]>();
const RECENT = 4;

/**
 * Candidates for `bad` and `goods` (indices; goods outside the range are
 * simply absent). In first-parent mode only bad's first-parent chain counts,
 * as with `git bisect start --first-parent`. The set is shared: read it only.
 */
export function computeCandidates(index: GraphIndex, bad: number, goods: readonly number[], firstParent: boolean): CandidateSet {
  // The goods' order does not change the set.
  const key = `${firstParent ? 'fp' : 'all'}:${bad}:${[...goods].sort((a, b) => a - b).join(',')}`;
  const sets = recent.get(index) ?? [];
  const hit = sets.find((s) => s.key === key);
  if (hit) return hit.set;
  const set = candidatesFor(index, bad, goods, firstParent);
  recent.set(index, [{ key, set }, ...sets].slice(0, RECENT));
  return set;
}

function candidatesFor(index: GraphIndex, bad: number, goods: readonly number[], firstParent: boolean): CandidateSet {
  const flags = new Uint8Array(index.n);
  markAncestors(index, goods, flags, UNINTERESTING);
  if (firstParent) {
    let c = bad;
    while (c >= 0 && (flags[c]! & UNINTERESTING) === 0 && (flags[c]! & REACHABLE) === 0) {
      flags[c]! |= REACHABLE;
      c = index.graph.parents[c]?.[0] ?? -1;
    }
  } else if ((flags[bad]! & UNINTERESTING) === 0) {
    // Walk from bad without crossing into good ancestry: everything below a
    // good is uninteresting already, so the walk stays inside the candidates.
    const stack = [bad];
    flags[bad]! |= REACHABLE;
    while (stack.length > 0) {
      const c = stack.pop()!;
      for (const p of index.graph.parents[c] ?? []) {
        if (p >= 0 && flags[p] === 0) {
          flags[p] = REACHABLE;
          stack.push(p);
        }
      }
    }
  }
  const mask = new Uint8Array(index.n);
  let count = 0;
  for (let i = 0; i < index.n; i++) {
    if (flags[i] === REACHABLE) {
      mask[i] = 1;
      count++;
    }
  }
  const list = new Int32Array(count);
  let k = 0;
  for (let i = index.n - 1; i >= 0; i--) if (mask[i]) list[k++] = i;
  return { mask, list };
}

/** Parents of `c` that are candidates, as git's count_interesting_parents sees them. */
export function interestingParents(index: GraphIndex, mask: Uint8Array, c: number, firstParent: boolean): number[] {
  const out: number[] = [];
  for (const p of index.graph.parents[c] ?? []) {
    if (p >= 0 && mask[p]) out.push(p);
    if (firstParent) break;
  }
  return out;
}
