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
 * Pure simulation: no git, no processes.
 */
import { runsForConfidence, type PolicyInput } from '@kbisect/bisect';
import { descendantsOf, fakeSha, generateHistory, graphOf, seededRandom, simulate } from '@kbisect/bisect/testing';
import { numberFlag } from './flags.js';

const cases = process.argv.includes('--quick') ? 60 : numberFlag('cases', 500);
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
