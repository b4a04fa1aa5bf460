/**
 * bench/fold-step — what one event of a big bisection costs the process that
 * folds it (the API on the first read after the event, the orchestrator on
 * its pass), phase by phase, without Redis or HTTP.
 *
 * Input: --commits N (default 200000), --reps R bisections per shape
 *   (default 2; the first warms the JIT and is not counted).
 * Output: per shape (a linear range; a merge-heavy one, 20 % forks and 20 %
 *   merges), the median and max in ms over the steps of: the engine's start
 *   (once), applying a verdict (the engine's `next` through the fold),
 *   applying a step's start, and rendering the view after each.
 */
import type { CommitGraph } from '@kbisect/bisect';
import { applyEntries, emptyFold, toView, type BisectionFold, type LogEvent } from '@kbisect/service';
import { bigRange } from './big-range.js';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const commits = numberFlag('commits', 200_000);
const reps = numberFlag('reps', 2);

const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const out = f();
  return [out, performance.now() - t0];
};
const fmt = (xs: number[]): string => `median ${median(xs).toFixed(1).padStart(6)}  max ${Math.max(...xs).toFixed(1).padStart(6)}`;

for (const shape of ['linear', 'merge-heavy'] as const) {
  const { graph, good, bad, steps } = bigRange(commits, shape);
  const verdictMs: number[] = [];
  const startedMs: number[] = [];
  const viewMs: number[] = [];
  let startMs = 0;
  for (let rep = 0; rep < reps; rep++) {
    // A fresh copy each time: the engine's graph index is cached per graph object, as in a new process.
    const copy: CommitGraph = JSON.parse(JSON.stringify(graph)) as CommitGraph;
    let n = 0;
    const entry = (event: LogEvent) => ({ id: `${++n}-0`, event });
    const at = new Date().toISOString();
    let fold: BisectionFold = applyEntries(emptyFold(), copy, [entry({ type: 'created', at, by: 'bench', request: { repo: '/srv/linux', good: [good], bad, probe: { type: 'command', command: 'true' } } })]);
    const [started, s] = time(() => applyEntries(fold, copy, [entry({ type: 'initialized', at, bad, goods: [good], commits: copy.commits.length, untestable: {} })]));
    fold = started;
    const counted = rep > 0;
    if (counted) startMs = s;
    for (const [start, verdict] of steps) {
      const [a, ta] = time(() => applyEntries(fold, copy, [entry(start!)]));
      const [, va] = time(() => JSON.stringify(toView('b', a)));
      const [b, tb] = time(() => applyEntries(a, copy, [entry(verdict!)]));
      const [, vb] = time(() => JSON.stringify(toView('b', b)));
      fold = b;
      if (counted) {
        startedMs.push(ta);
        verdictMs.push(tb);
        viewMs.push(va, vb);
      }
    }
    if (fold.step?.state.status !== 'found') throw new Error(`${shape}: the fold ended ${fold.step?.state.status}, not found`);
  }
  console.log(`${shape} (${graph.commits.length} commits, ${steps.length} steps): engine start ${startMs.toFixed(0)} ms`);
  console.log(`  apply a verdict (engine next)   ${fmt(verdictMs)} ms`);
  console.log(`  apply a step's start            ${fmt(startedMs)} ms`);
  console.log(`  render the view (after each)    ${fmt(viewMs)} ms`);
}
