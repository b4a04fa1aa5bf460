/**
 * bench/engine — how many tests kbisect needs against `git bisect run`, and
 * how long one engine decision takes on a large DAG.
 *
 * Input: flags --cases N (default 30), --commits N (default 5000),
 *        --big N (default 100000), --probe-commits N (default 20000), --seed S.
 * Output: a table on stdout. Both tools bisect the same generated histories
 * (real git repositories written with fast-import) with the same culprits:
 *   - no skips: kbisect reproduces git's choices, so the counts must match;
 *   - a 10% skip band (a contiguous stretch of history that cannot be tested,
 *     like THP under BROKEN): git bisect run pays a test for every skipped
 *     commit it lands on; kbisect learns the band up front (as the Kconfig
 *     probe does) and pays nothing for it, while ending with git's answer.
 * Then the Kconfig probe's cost on a ~20,000-commit range (bench/kconfig-probe-cost.ts).
 * With --run-vs-git it adds bench/run-vs-git.ts (kept in its own file: it
 * needs the kernel fixture and minutes): `kbisect run` against `git bisect
 * run`, wall time per step on the linux-source-6.1 tree.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { next, startBisection, type Verdict } from '@kbisect/bisect';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { descendantsOf, generateHistory, graphOf, seededRandom, simulate, type GeneratedHistory } from '@kbisect/bisect/testing';
import { gitBisectRun, writeGitHistory } from '../test/support/git-fixture.js';
import { numberFlag } from './flags.js';
import { median } from './median.js';
import { probeCost } from './kconfig-probe-cost.js';
import { runVsGit } from './run-vs-git.js';

const cases = numberFlag('cases', 30);
const commits = numberFlag('commits', 5000);
const big = numberFlag('big', 100_000);
const seed = numberFlag('seed', 2016);
const probeCommits = numberFlag('probe-commits', 20_000);

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;


interface Row { setting: string; kb: number[]; git: number[]; agree: number }

async function compare(): Promise<Row[]> {
  const rows: Row[] = [{ setting: 'no skips', kb: [], git: [], agree: 0 }, { setting: '10% skip band', kb: [], git: [], agree: 0 }];
  const random = seededRandom(seed);
  for (let k = 0; k < cases; k++) {
    const history: GeneratedHistory = generateHistory(random, { commits });
    const fx = await writeGitHistory(history);
    const scratch = await mkdtemp(join(tmpdir(), 'kbisect-bench-'));
    try {
      const bad = fx.shas[history.tip]!;
      const good = fx.shas[0]!;
      const graph = await (await openRepo(validateRepoSource(fx.dir), { cacheDir: scratch })).readGraph(bad, [good]);
      const culprit = 1 + Math.floor(random() * (history.parents.length - 2));
      const badSet = new Set([...descendantsOf(history, culprit)].map((i) => fx.shas[i]!));
      const bandStart = 1 + Math.floor(random() * (history.parents.length * 0.9 - 2));
      const band = new Set(fx.shas.slice(bandStart, bandStart + Math.floor(history.parents.length / 10)).filter((s) => s !== bad));
      for (const [r, row] of rows.entries()) {
        const skipSet = r === 0 ? new Set<string>() : band;
        const git = await gitBisectRun(fx.dir, { bad, good, badSet, skipSet, scratch });
        const oracle = (sha: string): Verdict => (skipSet.has(sha) ? 'skip' : badSet.has(sha) ? 'bad' : 'good');
        const untestable = Object.fromEntries([...skipSet].map((s) => [s, 'in the skip band']));
        const kb = simulate({ graph, bad, goods: [good], untestable }, oracle);
        row.git.push(git.tested.length);
        row.kb.push(kb.tested.length);
        const same = kb.state.status === git.status && kb.state.culprit === git.culprit && [...(kb.state.candidates ?? [])].sort().join() === [...(git.candidates ?? [])].sort().join();
        if (same) row.agree++;
      }
    } finally {
      await fx.cleanup();
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return rows;
}

function decisionTimes(): { plain: number[]; skipping: number[]; n: number } {
  const history = generateHistory(seededRandom(seed + 1), { commits: big });
  const { graph, good, bad } = graphOf(history);
  const culprit = Math.floor(big * 0.37);
  const badSet = descendantsOf(history, culprit);
  const order = graph.commits;
  const idx = new Map(order.map((c, i) => [c, big - 1 - i]));
  const run = (skipEvery: number): number[] => {
    const times: number[] = [];
    let t0 = performance.now();
    let step = startBisection({ graph, bad, goods: [good] });
    times.push(performance.now() - t0);
    let k = 0;
    while (step.commands[0]?.type === 'test') {
      const sha = step.commands[0].commit;
      const i = idx.get(sha)!;
      const verdict: Verdict = skipEvery > 0 && ++k % skipEvery === 0 ? 'skip' : badSet.has(i) ? 'bad' : 'good';
      t0 = performance.now();
      step = next(step.state, { type: 'verdict', commit: sha, verdict });
      times.push(performance.now() - t0);
    }
    return times;
  };
  run(0); // warm-up: JIT and the graph index
  return { plain: run(0), skipping: run(3), n: graph.commits.length };
}

const rows = await compare();
console.log(`kbisect vs git bisect run — ${cases} generated histories of ${commits} commits with merges, random culprits (seed ${seed})`);
console.log('setting          | kbisect mean / median tests | git bisect run mean / median | ratio (mean) | same answer');
for (const r of rows) {
  console.log(`${r.setting.padEnd(16)} | ${mean(r.kb).toFixed(2).padStart(12)} / ${median(r.kb).toFixed(1).padStart(5)}        | ${mean(r.git).toFixed(2).padStart(12)} / ${median(r.git).toFixed(1).padStart(5)}  | ${(mean(r.kb) / mean(r.git)).toFixed(3).padStart(12)} | ${r.agree}/${cases}`);
}
const t = decisionTimes();
console.log(`\nengine time per decision on a ${t.n}-commit DAG with merges (ms):`);
console.log(`  deterministic:        median ${median(t.plain).toFixed(1)}, p90 ${pct(t.plain, 0.9).toFixed(1)}, ${t.plain.length} decisions`);
console.log(`  with skips (sorted):  median ${median(t.skipping).toFixed(1)}, p90 ${pct(t.skipping, 0.9).toFixed(1)}, ${t.skipping.length} decisions`);

const p = await probeCost(probeCommits, seed);
console.log(`\nKconfig probe on a ${p.commits}-commit range with merges: mm/Kconfig edited on many branches, THP BROKEN on ${p.stretches} stretches (${p.truth} commits untestable):`);
console.log('probe                                | wall ms | git calls | blobs read | untestable | judged wrong');
for (const r of p.rows) console.log(`${r.probe.padEnd(36)} | ${r.ms.toFixed(0).padStart(7)} | ${String(r.gitCalls).padStart(9)} | ${String(r.blobs).padStart(10)} | ${String(r.untestable).padStart(10)} | ${r.wrong}`);
if (process.argv.includes('--run-vs-git')) {
  console.log('');
  await runVsGit();
}
