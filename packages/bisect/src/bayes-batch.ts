import { MIN_GAIN } from './bayes-choice.js';
import type { BayesView } from './bayes-posterior.js';
import { interestingParents, type CandidateSet } from './candidates.js';
import type { GraphIndex } from './graph-index.js';
import { ancestorSums } from './weights.js';

type Ready = Extract<BayesView, { kind: 'ready' }>;

export interface BayesBatchInput {
  readonly index: GraphIndex;
  readonly view: Ready;
  readonly firstParent: boolean;
  /** Commits of bisect runs already in flight (a commit once per run): their outcomes are still unknown. */
  readonly inFlight: readonly number[];
  /** How many runs to add. */
  readonly slots: number;
  /** Commits no run may go to (untestable, skipped). */
  readonly unrunnable: (c: number) => boolean;
}

/**
 * Outcome patterns of the batch followed exactly; beyond this the least
 * likely are dropped (their mass is tiny by then: each split at least halves
 * what a pattern holds when the reproducer is informative).
 */
const MAX_PATTERNS = 128;
/** A pattern less likely than this is dropped at once. */
const NEGLIGIBLE = 1e-12;
/** A run with less posterior than this on one side of its commit teaches (next to) nothing. */
export const NEGLIGIBLE_SIDE = 1e-9;

/**
 * Picks up to `slots` runs that, with the runs in flight, are expected to
 * teach the most together: greedily, each next run maximises the mutual
 * information between the first bad commit and the whole batch's outcomes,
 * I(X; Y₁…Yⱼ) = H(Y₁…Yⱼ) − Σ H(Yᵢ | X) (runs are independent given X). The
 * joint H(Y₁…Yⱼ) is exact: hypotheses fall into cells by which batch commits
 * they are below, P(y) = Σ_cell mass · Π P(yᵢ | cell), and each candidate
 * run's split of every cell is one weighted-ancestor sum per cell, so merges
 * count as the DAG says. A commit may be picked more than once (several runs
 * of it at once): for a flaky reproducer a second run of the most telling
 * commit is often worth more than a first run elsewhere, and for a reliable
 * one it is worth nothing, so it is never picked then. With one slot and
 * nothing in flight this is the one-at-a-time choice.
 */
export function chooseBayesBatch(input: BayesBatchInput): number[] {
  const { index, view, firstParent } = input;
  const { candidates, w, qNew, qOld } = view;
  const batch = new BatchOutcomes(index, candidates, w, firstParent, qNew, qOld);
  for (const c of input.inFlight) batch.add(c);
  const picks: number[] = [];
  for (let s = 0; s < input.slots; s++) {
    const best = batch.bestNext(input.unrunnable);
    if (best === undefined) break;
    picks.push(best);
    batch.add(best);
  }
  return picks;
}

/** Binary entropy in nats. */
function h(p: number): number {
  return (p > 0 ? -p * Math.log(p) : 0) + (p < 1 ? -(1 - p) * Math.log(1 - p) : 0);
}

/** The joint outcome distribution of the runs chosen so far, over the cells they cut the hypotheses into. */
class BatchOutcomes {
  /** Cell of each candidate (graph index space); -1 outside the candidates. */
  private readonly cellOf: Int32Array;
  private mass: number[] = [1];
  /** P(pattern | cell), one row of `mass.length` per outcome pattern kept. */
  private patterns: Float64Array[] = [Float64Array.of(1)];

  constructor(
    private readonly index: GraphIndex,
    private readonly candidates: CandidateSet,
    private readonly w: Float64Array,
    private readonly firstParent: boolean,
    private readonly qNew: number,
    private readonly qOld: number,
  ) {
    this.cellOf = new Int32Array(index.n).fill(-1);
    for (const x of candidates.list) this.cellOf[x] = 0;
  }

  /** Adds a run at `c`: every cell splits by being below c or not, every pattern by the run's outcome. */
  add(c: number): void {
    const below = this.belowMask(c);
    const split = new Map<number, number>();
    const mass: number[] = [];
    // From old cell × side to new cell: side 1 is below c.
    const origin: { cell: number; below: boolean }[] = [];
    for (const x of this.candidates.list) {
      const key = this.cellOf[x]! * 2 + below[x]!;
      let cell = split.get(key);
      if (cell === undefined) {
        cell = mass.length;
        split.set(key, cell);
        mass.push(0);
        origin.push({ cell: this.cellOf[x]!, below: below[x] === 1 });
      }
      this.cellOf[x] = cell;
      mass[cell]! += this.w[x]!;
    }
    const next: Float64Array[] = [];
    for (const row of this.patterns) {
      const shown = new Float64Array(mass.length);
      const clean = new Float64Array(mass.length);
      origin.forEach((o, g) => {
        const q = o.below ? this.qNew : this.qOld;
        shown[g] = row[o.cell]! * q;
        clean[g] = row[o.cell]! * (1 - q);
      });
      next.push(shown, clean);
    }
    this.mass = mass;
    this.patterns = this.prune(next);
  }

  /** The run adding the most information to the batch, or none worth a run. */
  bestNext(unrunnable: (c: number) => boolean): number | undefined {
    const cells = this.mass.length;
    const cellMass = Array.from({ length: cells }, (_, g) => {
      const v = new Float64Array(this.index.n);
      for (const x of this.candidates.list) if (this.cellOf[x] === g) v[x] = this.w[x]!;
      return v;
    });
    const below = ancestorSums(this.index, this.candidates, this.firstParent, cellMass);
    const pattern = this.patterns.map((row) => row.reduce((sum, l, g) => sum + l * this.mass[g]!, 0));
    let before = 0;
    for (const p of pattern) before -= p > 0 ? p * Math.log(p) : 0;
    const hNew = h(this.qNew);
    const hOld = h(this.qOld);
    const { qNew, qOld } = this;
    // One flat row-major copy of the patterns: the loop below runs once per candidate.
    const rows = this.patterns.length;
    const flat = new Float64Array(rows * cells);
    this.patterns.forEach((row, b) => flat.set(row, b * cells));
    const m = new Float64Array(cells);
    let best: number | undefined;
    let bestGain = MIN_GAIN;
    for (const c of this.candidates.list) {
      if (unrunnable(c)) continue;
      let sA = 0;
      for (let g = 0; g < cells; g++) {
        m[g] = below[g]![c]!;
        sA += m[g]!;
      }
      sA = Math.min(1, sA);
      // (Almost) all the posterior on one side: the run cannot tell hypotheses apart.
      if (sA < NEGLIGIBLE_SIDE || sA > 1 - NEGLIGIBLE_SIDE) continue;
      let after = 0;
      for (let b = 0; b < rows; b++) {
        let a = 0;
        for (let g = 0, o = b * cells; g < cells; g++) a += flat[o + g]! * m[g]!;
        const p = pattern[b]!;
        const shown = Math.min(p, Math.max(0, qOld * p + (qNew - qOld) * a));
        const clean = p - shown;
        if (shown > 0) after -= shown * Math.log(shown);
        if (clean > 0) after -= clean * Math.log(clean);
      }
      const gain = after - before - (sA * hNew + (1 - sA) * hOld);
      if (gain > bestGain + 1e-12) {
        bestGain = gain;
        best = c;
      }
    }
    return best;
  }

  // Patterns with the same likelihood row are one (two runs of one commit:
  // shown-clean and clean-shown); the unlikely ones go.
  private prune(rows: Float64Array[]): Float64Array[] {
    const merged = new Map<string, Float64Array>();
    for (const row of rows) {
      const p = row.reduce((sum, l, g) => sum + l * this.mass[g]!, 0);
      if (p < NEGLIGIBLE) continue;
      const key = Array.from(row, (l) => l.toPrecision(12)).join(',');
      const same = merged.get(key);
      if (same === undefined) merged.set(key, row);
      else for (let g = 0; g < row.length; g++) same[g]! += row[g]!;
    }
    const kept = [...merged.values()];
    if (kept.length <= MAX_PATTERNS) return kept;
    const likelihood = (row: Float64Array): number => row.reduce((sum, l, g) => sum + l * this.mass[g]!, 0);
    return kept.sort((a, b) => likelihood(b) - likelihood(a)).slice(0, MAX_PATTERNS);
  }

  private belowMask(c: number): Uint8Array {
    const mask = new Uint8Array(this.index.n);
    if (!this.candidates.mask[c]) return mask;
    const stack = [c];
    mask[c] = 1;
    while (stack.length > 0) {
      const x = stack.pop()!;
      for (const p of interestingParents(this.index, this.candidates.mask, x, this.firstParent)) {
        if (!mask[p]) {
          mask[p] = 1;
          stack.push(p);
        }
      }
    }
    return mask;
  }
}
