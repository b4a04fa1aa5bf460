import { deriveBounds } from './bounds.js';
import { computeCandidates } from './candidates.js';
import { indexGraph } from './graph-index.js';
import type { BisectState } from './state.js';

/** The commits that may still be the first bad one, newest first. */
export function candidatesOf(state: BisectState): string[] {
  const index = indexGraph(state.graph);
  const bounds = deriveBounds(state, index);
  const { list } = computeCandidates(index, bounds.bad, bounds.goods, state.firstParent);
  return Array.from(list).reverse().map((i) => state.graph.commits[i]!);
}
