import { deriveBounds } from './bounds.js';
import { computeCandidates, type CandidateSet } from './candidates.js';
import { indexGraph } from './graph-index.js';
import type { BisectState } from './state.js';

function candidateSetOf(state: BisectState): CandidateSet {
  const index = indexGraph(state.graph);
  const bounds = deriveBounds(state, index);
  return computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
}

/** The commits that may still be the first bad one, newest first. */
export function candidatesOf(state: BisectState): string[] {
  return Array.from(candidateSetOf(state).list).reverse().map((i) => state.graph.commits[i]!);
}

/** How many commits may still be the first bad one: `candidatesOf(state).length` without naming them. */
export function candidateCount(state: BisectState): number {
  return candidateSetOf(state).list.length;
}
