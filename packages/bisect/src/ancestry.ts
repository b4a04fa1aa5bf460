import type { GraphIndex } from './graph-index.js';

/** Marks every in-range ancestor of `starts` (inclusive) in `into` with `mark`, not crossing commits already holding it. */
export function markAncestors(index: GraphIndex, starts: readonly number[], into: Uint8Array, mark: number): void {
  const stack: number[] = [];
  for (const s of starts) {
    if (s >= 0 && (into[s]! & mark) === 0) {
      into[s]! |= mark;
      stack.push(s);
    }
  }
  const parents = index.graph.parents;
  while (stack.length > 0) {
    const c = stack.pop()!;
    for (const p of parents[c] ?? []) {
      if (p >= 0 && (into[p]! & mark) === 0) {
        into[p]! |= mark;
        stack.push(p);
      }
    }
  }
}

// Answers by graph index, memoised like the index itself (the graph is never mutated): every step
// derives its bounds again, asking the same pairs (each bad verdict against the bad before it), and
// on a long chain each walk is O(range). Cleared, not evicted, past the cap: a cache, never a leak.
const answers = new WeakMap<GraphIndex, Map<number, boolean>>();
const MAX_ANSWERS = 100_000;

/** True when `ancestor` is reachable from `descendant` (inclusive) inside the range. */
export function isAncestorInRange(index: GraphIndex, ancestor: number, descendant: number): boolean {
  if (ancestor === descendant) return true;
  // Generation numbers prune: an ancestor always has a smaller generation.
  if (index.gen[ancestor]! >= index.gen[descendant]!) return false;
  let known = answers.get(index);
  if (!known) {
    known = new Map();
    answers.set(index, known);
  }
  // Below 2^53 for any range up to 94 million commits.
  const key = ancestor * index.n + descendant;
  const hit = known.get(key);
  if (hit !== undefined) return hit;
  const answer = reaches(index, descendant, ancestor);
  if (known.size >= MAX_ANSWERS) known.clear();
  known.set(key, answer);
  return answer;
}

function reaches(index: GraphIndex, descendant: number, ancestor: number): boolean {
  const seen = new Uint8Array(index.n);
  const stack = [descendant];
  seen[descendant] = 1;
  const floor = index.gen[ancestor]!;
  while (stack.length > 0) {
    const c = stack.pop()!;
    for (const p of index.graph.parents[c] ?? []) {
      if (p < 0 || seen[p]) continue;
      if (p === ancestor) return true;
      seen[p] = 1;
      if (index.gen[p]! > floor) stack.push(p);
    }
  }
  return false;
}
