import type { CommitGraph } from '../commit-graph.js';
import type { Random } from './seeded-random.js';

/**
 * A generated history shaped like a kernel's: a mainline that forks topic
 * branches and merges them back (sometimes several at once), in creation
 * order, which is also topological and commit-date order.
 */
export interface GeneratedHistory {
  /** parents[i] are creation indices; commit 0 is the root (the good end). */
  readonly parents: readonly (readonly number[])[];
  /** The mainline tip after every branch is merged (the bad end). */
  readonly tip: number;
}

export interface HistoryShape {
  readonly commits: number;
  /** Chance that a new commit starts a topic branch. @defaultValue 0.08 */
  readonly forkRate?: number;
  /** Chance that a commit is a merge of an open branch. @defaultValue 0.08 */
  readonly mergeRate?: number;
}

export function generateHistory(random: Random, shape: HistoryShape): GeneratedHistory {
  const forkRate = shape.forkRate ?? 0.08;
  const mergeRate = shape.mergeRate ?? 0.08;
  const parents: number[][] = [[]];
  let main = 0;
  const branches: number[] = [];
  while (parents.length < shape.commits - 1) {
    const id = parents.length;
    const r = random();
    if (r < forkRate) {
      // A topic branch forks from a recent mainline commit.
      parents.push([main]);
      branches.push(id);
    } else if (r < forkRate + mergeRate && branches.length > 0) {
      const take = Math.min(branches.length, random() < 0.1 ? 3 : 1);
      const merged: number[] = [];
      for (let k = 0; k < take; k++) merged.push(branches.splice(Math.floor(random() * branches.length), 1)[0]!);
      parents.push([main, ...merged]);
      main = id;
    } else if (branches.length > 0 && random() < 0.5) {
      const b = Math.floor(random() * branches.length);
      parents.push([branches[b]!]);
      branches[b] = id;
    } else {
      parents.push([main]);
      main = id;
    }
  }
  parents.push([main, ...branches]);
  return { parents, tip: parents.length - 1 };
}

/** A fake but stable 40-hex name for generated commit `i`. */
export function fakeSha(i: number): string {
  let h = (i * 2654435761) >>> 0;
  let out = '';
  while (out.length < 40) {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 40);
}

/**
 * The engine's graph for bisecting `tip` against the root, without git: the
 * order is newest-first by creation, which is what `git rev-list` prints for
 * histories whose commit dates increase with creation.
 */
export function graphOf(history: GeneratedHistory, sha: (i: number) => string = fakeSha): { graph: CommitGraph; good: string; bad: string } {
  const n = history.parents.length;
  const order: number[] = [];
  for (let i = n - 1; i >= 1; i--) order.push(i);
  const pos = new Map(order.map((c, k) => [c, k]));
  return {
    graph: {
      commits: order.map((c) => sha(c)),
      parents: order.map((c) => history.parents[c]!.map((p) => pos.get(p) ?? -1)),
    },
    good: sha(0),
    bad: sha(history.tip),
  };
}

/** Every descendant of `culprit` (inclusive): the commits a deterministic reproducer calls bad. */
export function descendantsOf(history: GeneratedHistory, culprit: number): Set<number> {
  const bad = new Set<number>([culprit]);
  for (let i = culprit + 1; i < history.parents.length; i++) {
    if (history.parents[i]!.some((p) => bad.has(p))) bad.add(i);
  }
  return bad;
}
