import type { CommitGraph, Terms } from '@kbisect/bisect';
import { RangeTooLargeError } from './range-too-large-error.js';

/** The git operations opening a range needs; GitRepo provides them, tests may fake them. */
export interface RangeGit {
  resolveCommit(ref: string, field: string): Promise<string>;
  /** Checks the ends as `git bisect start` does; returns the merge bases to test first when a good is not an ancestor of bad (throws when the ends are swapped). */
  mergeBasesToCheck(bad: string, goods: readonly string[], goodRefs?: readonly string[]): Promise<string[]>;
  /** How many commits `readGraph` would read, without reading them. */
  countRange(bad: string, goods: readonly string[]): Promise<number>;
  readGraph(bad: string, goods: readonly string[]): Promise<CommitGraph>;
}

/** A range as the user names it: `bad` shows the bug, each `good` does not (for a fix, the good one is later). */
export interface RangeRequest {
  readonly bad: string;
  readonly good: readonly string[];
  /** @defaultValue 'regression' */
  readonly terms?: Terms;
  /** How to name the refs in errors: `--bad` for the CLI, `bad` for the API. */
  readonly fields: { readonly bad: string; readonly good: (index: number) => string };
  /**
   * The most commits the range may have (the submitting token's limit). A
   * larger one is refused with its count before its graph is read. Counted
   * as read: the whole range, with `--first-parent` too, since the graph, the
   * stored copy and every fold of it hold every commit of the range.
   * @defaultValue no limit
   */
  readonly maxCommits?: number;
}

/** The range in engine terms: the engine looks for the first "new" commit below `bad`. */
export interface OpenedRange {
  readonly bad: string;
  readonly goods: readonly string[];
  readonly graph: CommitGraph;
  /** The merge bases git tests before bisecting (a good beside bad, not below it); usually none. */
  readonly mergeBases: readonly string[];
}

export class InvalidRangeError extends Error {
  readonly code = 'KBISECT_ERR_INVALID_RANGE';
  readonly category = 'user' as const;
  constructor(message: string, readonly field: string) {
    super(message);
    this.name = 'InvalidRangeError';
  }
}

/** What is wrong with a range before any git is run (a fix bisection takes exactly one good). */
export function rangeProblem(range: Pick<RangeRequest, 'good' | 'terms'>): string | undefined {
  if (range.terms === 'fix' && range.good.length !== 1) return 'a fix bisection takes exactly one good commit (the one where the bug is gone)';
  return undefined;
}

/**
 * Resolves the refs, checks that they make a range (and fit `maxCommits`) and reads its graph, for
 * `kbisect run` and the orchestrator alike. For a fix the ends swap: the
 * engine's "new" end is the later commit without the bug. A good beside bad
 * (neither ancestor nor descendant) is accepted as git accepts it: its merge
 * bases with bad are tested first (startDriver).
 */
export async function openRange(git: RangeGit, range: RangeRequest): Promise<OpenedRange> {
  const problem = rangeProblem(range);
  if (problem) throw new InvalidRangeError(problem, range.fields.good(0));
  const bad = await git.resolveCommit(range.bad, range.fields.bad);
  const goods: string[] = [];
  for (const [i, g] of range.good.entries()) goods.push(await git.resolveCommit(g, range.fields.good(i)));
  const ends = range.terms === 'fix' ? { bad: goods[0]!, goods: [bad], goodRefs: [range.bad] } : { bad, goods, goodRefs: range.good };
  const mergeBases = await git.mergeBasesToCheck(ends.bad, ends.goods, ends.goodRefs);
  if (range.maxCommits !== undefined) {
    const commits = await git.countRange(ends.bad, ends.goods);
    if (commits > range.maxCommits) throw new RangeTooLargeError(commits, range.maxCommits);
  }
  return { bad: ends.bad, goods: ends.goods, graph: await git.readGraph(ends.bad, ends.goods), mergeBases };
}
