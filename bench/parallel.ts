/**
 * bench/parallel — multisection: how many rounds of tests a bisection needs
 * with k tests at once, beside `git bisect run`'s step count.
 *
 * Input: flags --cases N (default 30), --commits N (default 5000), --seed S,
 *        --late R (chance a cancelled run's verdict lands anyway, default 0.3).
 * Output: a table on stdout. Every case is a real git repository (written
 * with fast-import) with a random culprit; `git bisect run` bisects it once
 * (its step count is the baseline, measured in the same run), then the
 * engine bisects the graph read through packages/git with k = 1, 2, 3, 4, 8
 * in rounds whose verdicts arrive in a random order (testing/simulate-parallel).
 * A round costs one test time when every machine tests at once, so rounds
 * against git's steps is the wall-clock ratio; runs started counts builds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Verdict } from '@kbisect/bisect';
import { descendantsOf, generateHistory, seededRandom, simulateParallel } from '@kbisect/bisect/testing';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { gitBisectRun, writeGitHistory } from '../test/support/git-fixture.js';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const cases = numberFlag('cases', 30);
const commits = numberFlag('commits', 5000);
const seed = numberFlag('seed', 2016);
const late = numberFlag('late', 0.3);
const WIDTHS = [1, 2, 3, 4, 8] as const;

interface Row { rounds: number[]; started: number[]; cancelled: number[]; agree: number }

const rows = new Map<number, Row>(WIDTHS.map((k) => [k, { rounds: [], started: [], cancelled: [], agree: 0 }]));
const gitSteps: number[] = [];
const random = seededRandom(seed);
for (let n = 0; n < cases; n++) {
  const history = generateHistory(random, { commits });
  const fx = await writeGitHistory(history);
  const scratch = await mkdtemp(join(tmpdir(), 'kbisect-bench-'));
  try {
    const bad = fx.shas[history.tip]!;
    const good = fx.shas[0]!;
    const culprit = 1 + Math.floor(random() * (history.parents.length - 2));
    const badSet = new Set([...descendantsOf(history, culprit)].map((i) => fx.shas[i]!));
    const git = await gitBisectRun(fx.dir, { bad, good, badSet, skipSet: [], scratch });
    gitSteps.push(git.tested.length);
    const graph = await (await openRepo(validateRepoSource(fx.dir), { cacheDir: scratch })).readGraph(bad, [good]);
    const oracle = (sha: string): Verdict => (badSet.has(sha) ? 'bad' : 'good');
    for (const k of WIDTHS) {
      const out = simulateParallel({ graph, bad, goods: [good], parallel: k }, oracle, { random: seededRandom(seed + n * 10 + k), lateResultRate: late });
      const row = rows.get(k)!;
      row.rounds.push(out.rounds);
      row.started.push(out.started);
      row.cancelled.push(out.cancelled);
      if (out.state.status === git.status && out.state.culprit === git.culprit) row.agree++;
    }
  } finally {
    await fx.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
}

const gitMedian = median(gitSteps);
console.log(`multisection — ${cases} generated histories of ${commits} commits with merges, random culprits, random verdict order (seed ${seed})`);
console.log(`git bisect run: median ${gitMedian} steps (one test at a time)`);
console.log('k | rounds median | rounds / git steps | log_{k+1}(N) | runs started median | cancelled median | same culprit as git');
for (const k of WIDTHS) {
  const r = rows.get(k)!;
  const m = median(r.rounds);
  console.log(`${String(k).padStart(1)} | ${m.toFixed(1).padStart(13)} | ${(m / gitMedian).toFixed(2).padStart(18)} | ${(Math.log(commits) / Math.log(k + 1)).toFixed(1).padStart(12)} | ${median(r.started).toFixed(1).padStart(19)} | ${median(r.cancelled).toFixed(1).padStart(16)} | ${r.agree}/${cases}`);
}
