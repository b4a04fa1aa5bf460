/**
 * bench/big-range — the big bisection the API benches advance: a range of
 * `commits` commits, linear or merge-heavy (20 % forks and 20 % merges), the
 * culprit at 40 %, and each step's start and verdict as the workers log
 * them, computed with the engine up front.
 * Input: commits, shape. Output: the graph, its ends and the steps.
 */
import { next, startBisection, type CommitGraph } from '@kbisect/bisect';
import { descendantsOf, fakeSha, generateHistory, graphOf, linearHistory, seededRandom } from '@kbisect/bisect/testing';
import type { LogEvent } from '@kbisect/service';

export type RangeShape = 'linear' | 'merge-heavy';

export interface BigRange {
  readonly graph: CommitGraph;
  readonly good: string;
  readonly bad: string;
  /** Per step, in order: its `step-started` and its `verdict`. */
  readonly steps: readonly (readonly [LogEvent, LogEvent])[];
}

export function bigRange(commits: number, shape: RangeShape): BigRange {
  const history = shape === 'merge-heavy'
    ? generateHistory(seededRandom(15), { commits, forkRate: 0.2, mergeRate: 0.2 })
    : linearHistory(commits);
  const { graph, good, bad } = graphOf(history);
  const badSet = new Set([...descendantsOf(history, Math.floor(history.parents.length * 0.4))].map((i) => fakeSha(i)));
  const at = new Date().toISOString();
  const steps: [LogEvent, LogEvent][] = [];
  let step = startBisection({ graph, bad, goods: [good] });
  while (step.commands[0]?.type === 'test') {
    const test = step.commands[0];
    const verdict = badSet.has(test.commit) ? 'bad' : 'good';
    steps.push([
      { type: 'step-started', at, commit: test.commit, progress: test.progress, attempt: 1 },
      { type: 'verdict', at, commit: test.commit, verdict, reason: 'bench', source: 'probe', durationMs: 1000 },
    ]);
    step = next(step.state, { type: 'verdict', commit: test.commit, verdict });
  }
  return { graph, good, bad, steps };
}
