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

/** True when `ancestor` is reachable from `descendant` (inclusive) inside the range. */
export function isAncestorInRange(index: GraphIndex, ancestor: number, descendant: number): boolean {
  if (ancestor === descendant) return true;
  // Generation numbers prune: an ancestor always has a smaller generation.
  if (index.gen[ancestor]! >= index.gen[descendant]!) return false;
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
