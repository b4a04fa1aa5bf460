import type { CandidateSet } from './candidates.js';

export interface ParallelChoiceInput {
  readonly candidates: CandidateSet;
  /** git's weights: for each candidate, the candidates it reaches (itself included). */
  readonly weights: Int32Array;
  readonly bad: number;
  /** Candidates that must not be picked: skipped, untestable, or already in flight. */
  readonly excluded: ReadonlySet<number>;
  /** Candidates already being tested: they cut the range already, new points go between them. */
  readonly inFlight: readonly number[];
  /** How many new commits to pick. */
  readonly slots: number;
}

/**
 * Picks up to `slots` commits that, with the ones in flight, cut the
 * candidates into near-equal parts by git's weight: a bad verdict at c leaves
 * weight(c) candidates, a good one leaves the rest, so k points at weights
 * N·j/(k+1) leave at most about N/(k+1) whatever the verdicts — the multisection
 * analogue of git's "halfway". Merges count as git counts them (the weight is
 * the DAG's ancestor count), ties go to the commit first in git's list order.
 */
export function chooseParallel(input: ParallelChoiceInput): number[] {
  const { candidates, weights, bad, excluded } = input;
  const n = candidates.list.length;
  const pool: number[] = [];
  for (const c of candidates.list) if (c !== bad && !excluded.has(c)) pool.push(c);
  if (pool.length === 0 || input.slots <= 0) return [];
  // Stable sort: equal weights keep git's list order.
  pool.sort((a, b) => weights[a]! - weights[b]!);
  const targets = targetWeights(input.inFlight.map((c) => weights[c]!), n, Math.min(input.slots, pool.length));
  const taken = new Uint8Array(pool.length);
  const picks: number[] = [];
  for (const t of targets) {
    const at = nearestFree(pool, weights, taken, t);
    if (at < 0) break;
    taken[at] = 1;
    picks.push(pool[at]!);
  }
  return picks;
}

/**
 * Target weights for `count` new points given the weights already cut at:
 * each new point goes to the gap whose parts would stay largest, and the
 * points of one gap split it evenly.
 */
export function targetWeights(cut: readonly number[], n: number, count: number): number[] {
  const edges = [0, ...[...cut].sort((a, b) => a - b), n];
  const gaps: { lo: number; len: number; points: number }[] = [];
  for (let i = 1; i < edges.length; i++) gaps.push({ lo: edges[i - 1]!, len: edges[i]! - edges[i - 1]!, points: 0 });
  for (let k = 0; k < count; k++) {
    let best = gaps[0]!;
    for (const g of gaps) if (g.len / (g.points + 1) > best.len / (best.points + 1)) best = g;
    best.points++;
  }
  const out: number[] = [];
  for (const g of gaps) for (let j = 1; j <= g.points; j++) out.push(g.lo + (g.len * j) / (g.points + 1));
  return out;
}

function nearestFree(pool: readonly number[], weights: Int32Array, taken: Uint8Array, target: number): number {
  // First index whose weight reaches the target, then the closest untaken on either side.
  let lo = 0;
  let hi = pool.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (weights[pool[mid]!]! < target) lo = mid + 1;
    else hi = mid;
  }
  let up = lo;
  while (up < pool.length && taken[up]) up++;
  let down = lo - 1;
  while (down >= 0 && taken[down]) down--;
  if (up >= pool.length) return down;
  if (down < 0) return up;
  return target - weights[pool[down]!]! <= weights[pool[up]!]! - target ? down : up;
}
