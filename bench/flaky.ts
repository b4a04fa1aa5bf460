/**
 * bench/flaky — how often each policy names the exact culprit, and at what
 * cost in runs, when the reproducer fails only some of the time.
 *
 * Input: --cases N per setting (default 500; --quick means 60), --seed S.
 * Output: a table on stdout: for detection p ∈ {0.3, 0.5, 0.7, 1.0} (false
 * positives 0) on random DAGs of 200–5,000 commits with merges and a random
 * culprit, the share of exact culprits and the mean number of runs for
 * deterministic (one run decides), repeat (bad on 1 failure, good after n
 * clean runs, n chosen per p for ≥ 99% accuracy: the smallest n with
 * (1 − p)^n ≤ 0.01 / 14 — so repeat is told p), bayes told p (the fair
 * comparison), and bayes estimating p from its own runs (confidence 0.99).
 *
 * With --parallel: instead, bayes (p estimated, confidence 0.99) with k =
 * 1, 2, 3, 4, 8 runs at once on the same cases (--cases N, default 30;
 * --commits N per DAG, default 2000; detection p ∈ {0.5, 0.8}), verdicts of
 * a round arriving in a random order and 30% of cancelled runs landing
 * anyway: median rounds and runs started per k beside k = 1 measured in the
 * same run, the share of exact culprits, and the load average.
 * Pure simulation: no git, no processes.
 */
import { loadavg } from 'node:os';
import { runsForConfidence, type PolicyInput } from '@kbisect/bisect';
import { descendantsOf, fakeSha, generateHistory, graphOf, seededRandom, simulate, simulateParallel } from '@kbisect/bisect/testing';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const parallel = process.argv.includes('--parallel');
const cases = process.argv.includes('--quick') ? 60 : numberFlag('cases', parallel ? 30 : 500);
const seed = numberFlag('seed', 2016);

interface Row { exact: number; runs: number; n: number; ms: number }

function measure(p: number, policy: PolicyInput): Row {
  const row: Row = { exact: 0, runs: 0, n: 0, ms: 0 };
  for (let k = 0; k < cases; k++) {
    const random = seededRandom(seed * 7919 + k);
    const history = generateHistory(random, { commits: 200 + Math.floor(random() * 4801) });
    const { graph, good, bad } = graphOf(history);
    const culprit = 1 + Math.floor(random() * (history.parents.length - 1));
    const badSet = new Set([...descendantsOf(history, culprit)].map(fakeSha));
    const noise = seededRandom(seed + 31 * k);
    const t0 = performance.now();
    const out = simulate({ graph, bad, goods: [good], policy }, (sha) => (badSet.has(sha) && noise() < p ? 'bad' : 'good'));
    row.ms += performance.now() - t0;
    row.n++;
    row.runs += out.tested.length;
    if (out.state.culprit === fakeSha(culprit)) row.exact++;
  }
  return row;
}

function widths(): void {
  const commits = numberFlag('commits', 2000);
  const WIDTHS = [1, 2, 3, 4, 8];
  console.log(`bayes with k runs at once: ${cases} DAGs of ${commits} commits with merges per detection rate, random culprits and verdict order, confidence 0.99, p estimated (seed ${seed}); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('p   | k | rounds median | rounds / k=1 | runs median | runs / k=1 | exact culprit | ms/case');
  for (const p of [0.5, 0.8]) {
    const rows = WIDTHS.map(() => ({ rounds: [] as number[], runs: [] as number[], exact: 0, ms: 0 }));
    for (let n = 0; n < cases; n++) {
      const random = seededRandom(seed * 7919 + n);
      const history = generateHistory(random, { commits });
      const { graph, good, bad } = graphOf(history);
      const culprit = 1 + Math.floor(random() * (history.parents.length - 1));
      const badSet = new Set([...descendantsOf(history, culprit)].map(fakeSha));
      WIDTHS.forEach((k, i) => {
        const noise = seededRandom(seed + 31 * n + k);
        const t0 = performance.now();
        const out = simulateParallel({ graph, bad, goods: [good], policy: { kind: 'bayes', confidence: 0.99 }, parallel: k }, (sha) => (badSet.has(sha) && noise() < p ? 'bad' : 'good'), { random: seededRandom(seed + 97 * n + k), lateResultRate: 0.3 });
        const row = rows[i]!;
        row.ms += performance.now() - t0;
        row.rounds.push(out.rounds);
        row.runs.push(out.started);
        if (out.state.culprit === fakeSha(culprit)) row.exact++;
      });
    }
    const base = rows[0]!;
    WIDTHS.forEach((k, i) => {
      const r = rows[i]!;
      const rounds = median(r.rounds);
      const runs = median(r.runs);
      console.log(`${p.toFixed(1)} | ${k} | ${rounds.toFixed(1).padStart(13)} | ${(rounds / median(base.rounds)).toFixed(2).padStart(12)} | ${runs.toFixed(1).padStart(11)} | ${(runs / median(base.runs)).toFixed(2).padStart(10)} | ${((100 * r.exact) / cases).toFixed(1).padStart(12)}% | ${(r.ms / cases).toFixed(0).padStart(7)}`);
    });
  }
}

if (parallel) {
  widths();
  process.exit(0);
}

console.log(`flaky reproducers: ${cases} cases per setting, DAGs of 200-5000 commits with merges, false positives 0 (seed ${seed})`);
console.log('p     | policy                  | exact culprit | mean runs | ms/case');
for (const p of [0.3, 0.5, 0.7, 1.0]) {
  // 14 ≈ the bisection steps of a 5,000-commit range; each good verdict must be right.
  const goodAfter = runsForConfidence(p, 1 - 0.01 / 14);
  const policies: [string, PolicyInput][] = [
    ['deterministic', { kind: 'deterministic' }],
    [`repeat (1 bad / ${goodAfter} good)`, { kind: 'repeat', badAfter: 1, goodAfter }],
    ['bayes, p known', { kind: 'bayes', confidence: 0.99, detection: p }],
    ['bayes, p estimated', { kind: 'bayes', confidence: 0.99 }],
  ];
  for (const [name, policy] of policies) {
    const r = measure(p, policy);
    console.log(`${p.toFixed(1)}   | ${name.padEnd(23)} | ${((100 * r.exact) / r.n).toFixed(1).padStart(12)}% | ${(r.runs / r.n).toFixed(1).padStart(9)} | ${(r.ms / r.n).toFixed(1).padStart(7)}`);
  }
}
