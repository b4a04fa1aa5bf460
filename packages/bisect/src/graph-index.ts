import type { CommitGraph } from './commit-graph.js';

/** Derived lookups over a {@link CommitGraph}; computed once per graph object. */
export interface GraphIndex {
  readonly graph: CommitGraph;
  readonly n: number;
  readonly indexOf: ReadonlyMap<string, number>;
  /** Commit indices ordered parents-before-children. */
  readonly topo: Int32Array;
  /** Generation number: 1 + the largest generation among in-range parents. */
  readonly gen: Int32Array;
}

// Memoised by identity so a reducer step over a 100k-commit graph does not
// rebuild maps it already has; the graph itself is never mutated.
const cache = new WeakMap<CommitGraph, GraphIndex>();

export function indexGraph(graph: CommitGraph): GraphIndex {
  const hit = cache.get(graph);
  if (hit) return hit;
  const n = graph.commits.length;
  const indexOf = new Map<string, number>();
  graph.commits.forEach((sha, i) => indexOf.set(sha, i));

  // Kahn's algorithm over "parent before child"; children counted per parent.
  const pendingParents = new Int32Array(n);
  const childStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    for (const p of graph.parents[i] ?? []) {
      if (p < 0) continue;
      pendingParents[i]! += 1;
      childStart[p + 1]! += 1;
    }
  }
  for (let i = 0; i < n; i++) childStart[i + 1]! += childStart[i]!;
  const children = new Int32Array(childStart[n]!);
  const fill = childStart.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (const p of graph.parents[i] ?? []) {
      if (p < 0) continue;
      children[fill[p]!++] = i;
    }
  }
  const topo = new Int32Array(n);
  const gen = new Int32Array(n);
  let head = 0;
  let tail = 0;
  // Seed from the oldest end of rev-list order so ties follow git's order.
  for (let i = n - 1; i >= 0; i--) if (pendingParents[i] === 0) topo[tail++] = i;
  while (head < tail) {
    const c = topo[head++]!;
    let g = 0;
    for (const p of graph.parents[c] ?? []) if (p >= 0 && gen[p]! > g) g = gen[p]!;
    gen[c] = g + 1;
    for (let k = childStart[c]!; k < childStart[c + 1]!; k++) {
      const child = children[k]!;
      pendingParents[child]! -= 1;
      if (pendingParents[child] === 0) topo[tail++] = child;
    }
  }
  if (tail !== n) throw new Error('commit graph has a cycle');
  const index: GraphIndex = { graph, n, indexOf, topo, gen };
  cache.set(graph, index);
  return index;
}
