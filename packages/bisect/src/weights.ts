import { interestingParents, type CandidateSet } from './candidates.js';
import type { GraphIndex } from './graph-index.js';

/**
 * For each candidate, how many candidates it reaches (itself included): git's
 * bisection "weight". Computed exactly, but without git's O(merges × range)
 * recount: a merge's weight is its first parent's weight plus the commits only
 * its other parents reach, found by a generation-ordered walk that stops as
 * soon as nothing reached only from the other side is left.
 */
export function computeWeights(index: GraphIndex, candidates: CandidateSet, firstParent: boolean): Int32Array {
  const { mask } = candidates;
  const weights = new Int32Array(index.n);
  const walk = new PaintWalk(index, mask);
  for (let k = 0; k < index.n; k++) {
    const c = index.topo[k]!;
    if (!mask[c]) continue;
    const parents = interestingParents(index, mask, c, firstParent);
    const [first, ...others] = parents;
    if (first === undefined) weights[c] = 1;
    else if (others.length === 0) weights[c] = weights[first]! + 1;
    else weights[c] = weights[first]! + 1 + walk.onlyFrom(others, first, () => 1);
  }
  return weights;
}

/**
 * For each candidate c and each value array v, the sum of v over the
 * candidates c reaches (itself included) — the weighted form of
 * {@link computeWeights}, used by the Bayesian policy for posterior mass below c.
 */
export function ancestorSums(index: GraphIndex, candidates: CandidateSet, firstParent: boolean, values: readonly Float64Array[]): Float64Array[] {
  const { mask } = candidates;
  const sums = values.map(() => new Float64Array(index.n));
  const walk = new PaintWalk(index, mask);
  const extra = new Float64Array(values.length);
  for (let k = 0; k < index.n; k++) {
    const c = index.topo[k]!;
    if (!mask[c]) continue;
    const [first, ...others] = interestingParents(index, mask, c, firstParent);
    extra.fill(0);
    if (first !== undefined && others.length > 0) {
      walk.onlyFrom(others, first, (x) => {
        for (let v = 0; v < values.length; v++) extra[v]! += values[v]![x]!;
        return 1;
      });
    }
    for (let v = 0; v < values.length; v++) {
      sums[v]![c] = (first === undefined ? 0 : sums[v]![first]!) + values[v]![c]! + extra[v]!;
    }
  }
  return sums;
}

const SIDE_A = 1;
const SIDE_B = 2;

/** Finds the commits reachable from some parents of a merge but not from its first, within the candidates. */
class PaintWalk {
  private readonly flags: Uint8Array;
  private readonly touched: number[] = [];
  private readonly heap: number[] = [];

  constructor(private readonly index: GraphIndex, private readonly mask: Uint8Array) {
    this.flags = new Uint8Array(index.n);
  }

  /** Visits each commit reachable from `others` but not from `first`; returns the sum of what `visit` returns. */
  onlyFrom(others: readonly number[], first: number, visit: (c: number) => number): number {
    let onlyB = 0;
    let count = 0;
    this.paint(first, SIDE_A);
    for (const o of others) {
      const before = this.flags[o]!;
      this.paint(o, SIDE_B);
      if (before === 0 && this.flags[o] === SIDE_B) onlyB++;
    }
    while (onlyB > 0 && this.heap.length > 0) {
      const c = this.pop();
      const f = this.flags[c]!;
      if (f === SIDE_B) {
        onlyB--;
        count += visit(c);
      }
      for (const p of this.index.graph.parents[c] ?? []) {
        if (p < 0 || !this.mask[p]) continue;
        const old = this.flags[p]!;
        const merged = old | f;
        if (old === 0) {
          this.paint(p, f);
          if (f === SIDE_B) onlyB++;
        } else if (merged !== old) {
          // Still queued: a parent's generation is below every popped commit's.
          if (old === SIDE_B) onlyB--;
          this.flags[p] = merged;
        }
      }
    }
    for (const t of this.touched) this.flags[t] = 0;
    this.touched.length = 0;
    this.heap.length = 0;
    return count;
  }

  private paint(c: number, side: number): void {
    if (this.flags[c] === 0) {
      this.touched.push(c);
      this.push(c);
    }
    this.flags[c]! |= side;
  }

  // A binary max-heap on generation number: children are always popped before parents.
  private push(c: number): void {
    const heap = this.heap;
    const gen = this.index.gen;
    heap.push(c);
    let i = heap.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (gen[heap[up]!]! >= gen[c]!) break;
      heap[i] = heap[up]!;
      i = up;
    }
    heap[i] = c;
  }

  private pop(): number {
    const heap = this.heap;
    const gen = this.index.gen;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const big = r < heap.length && gen[heap[r]!]! > gen[heap[l]!]! ? r : l;
        if (gen[heap[big]!]! <= gen[last]!) break;
        heap[i] = heap[big]!;
        i = big;
      }
      heap[i] = last;
    }
    return top;
  }
}
