/**
 * The commit DAG of a bisection range, as plain JSON.
 *
 * `commits` is in the order `git rev-list <bad> ^<good>…` prints them (newest
 * first by commit date). git's bisection breaks ties by that order, so keeping
 * it is what lets the engine pick the same commits `git bisect` would.
 */
export interface CommitGraph {
  /** Full 40-hex shas, in `git rev-list` order. */
  readonly commits: readonly string[];
  /**
   * For each commit, its parents in parent order as indices into `commits`;
   * `-1` marks a parent outside the range (an ancestor of a good commit).
   * Keeping the slot, not dropping it, preserves which parent is the first.
   */
  readonly parents: readonly (readonly number[])[];
  /** Optional one-line subjects, same indexing; used for bisect logs and reports. */
  readonly subjects?: readonly string[];
}

export const OUTSIDE_RANGE = -1;

/** A full lowercase 40-hex object name: the one sha pattern (schemas take it as a string). */
export const SHA_PATTERN = '^[0-9a-f]{40}$';
const SHA_RE = new RegExp(SHA_PATTERN);

/** True for a full lowercase 40-hex object name. */
export function isFullSha(value: string): boolean {
  return SHA_RE.test(value);
}

/** Problems that make a graph unusable; empty when it is well formed. */
export function validateGraph(graph: CommitGraph): string[] {
  const problems: string[] = [];
  const n = graph.commits.length;
  if (graph.parents.length !== n) problems.push(`parents has ${graph.parents.length} entries for ${n} commits`);
  if (graph.subjects !== undefined && graph.subjects.length !== n) problems.push(`subjects has ${graph.subjects.length} entries for ${n} commits`);
  const seen = new Set<string>();
  graph.commits.forEach((sha, i) => {
    if (!isFullSha(sha)) problems.push(`commits[${i}] is not a 40-hex sha`);
    if (seen.has(sha)) problems.push(`commits[${i}] repeats ${sha}`);
    seen.add(sha);
    for (const p of graph.parents[i] ?? []) {
      if (!Number.isInteger(p) || p < OUTSIDE_RANGE || p >= n || p === i) problems.push(`parents[${i}] holds an invalid index ${p}`);
    }
  });
  return problems;
}
