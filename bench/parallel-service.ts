/**
 * bench/parallel-service — multisection through the real service: wall clock
 * of a bisection with a command probe that sleeps a fixed time, one test at a
 * time on 1 test worker (git's path) against maxParallel 4 on 4 test workers.
 *
 * Input: flags --cases N (default 5), --commits N (default 2000), --sleep S
 *        (seconds per test, default 1), --seed S. Needs Redis (REDIS_URL or
 *        127.0.0.1:6379) as the tests do.
 * Output: per setting, the median wall clock from submit to answer, tests run
 * and the ratio to the baseline, measured in the same run on the same
 * histories; every answer is checked against the culprit.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { oracleRepo, startHarness, type Harness, type OracleRepo } from '../test/support/service-harness.js';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const cases = numberFlag('cases', 5);
const commits = numberFlag('commits', 2000);
const sleep = numberFlag('sleep', 1);
const seed = numberFlag('seed', 2016);

interface Setting { readonly name: string; readonly workers: number; readonly maxParallel: number }
const SETTINGS: readonly Setting[] = [
  { name: '1 test worker, one test at a time', workers: 1, maxParallel: 1 },
  { name: '4 test workers, maxParallel 4', workers: 4, maxParallel: 4 },
];

interface View { status: string; culprit?: string; steps: number }

async function bisect(h: Harness, repo: OracleRepo, command: string, maxParallel: number): Promise<{ ms: number; view: View }> {
  const t0 = performance.now();
  const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: repo.fx.dir, good: [repo.fx.shas[0]!], bad: 'main', probe: { type: 'command', command }, options: { maxParallel, checkEndpoints: false } });
  if (created.status !== 201) throw new Error(`submit refused: ${JSON.stringify(created.body)}`);
  for (;;) {
    const { body } = await h.fetchJson<View>('GET', `/api/v1/bisections/${created.body.id}`);
    if (body.status !== 'running' && body.status !== 'queued' && body.status !== 'initializing') return { ms: performance.now() - t0, view: body };
    await new Promise((r) => setTimeout(r, 100));
  }
}

const random = seededRandom(seed);
const repos: { repo: OracleRepo; command: string; culprit: string }[] = [];
for (let n = 0; n < cases; n++) {
  const history = generateHistory(random, { commits });
  const culprit = 1 + Math.floor(random() * (history.parents.length - 2));
  const repo = await oracleRepo(history, culprit, []);
  const script = join(repo.scratch, 'slow.sh');
  await writeFile(script, `#!/bin/sh\nsleep ${sleep}\nexec sh ${repo.script}\n`, { mode: 0o755 });
  repos.push({ repo, command: `sh ${script}`, culprit: repo.fx.shas[culprit]! });
}
const results = new Map<string, { ms: number[]; steps: number[]; right: number }>();
try {
  for (const s of SETTINGS) {
    const h = await startHarness(`bench-par-${s.workers}`, { env: { KBISECT_TEST_CONCURRENCY: String(s.workers) } });
    try {
      await h.startWorkers();
      const r = { ms: [] as number[], steps: [] as number[], right: 0 };
      for (const { repo, command, culprit } of repos) {
        const { ms, view } = await bisect(h, repo, command, s.maxParallel);
        r.ms.push(ms);
        r.steps.push(view.steps);
        if (view.status === 'found' && view.culprit === culprit) r.right++;
      }
      results.set(s.name, r);
    } finally {
      await h.close();
    }
  }
} finally {
  for (const { repo } of repos) await repo.cleanup();
}
const base = median(results.get(SETTINGS[0]!.name)!.ms);
console.log(`multisection through the service — ${cases} generated histories of ${commits} commits, a command probe sleeping ${sleep} s (seed ${seed})`);
console.log('setting                              | wall clock median (s) | ratio | tests run median | found the culprit');
for (const s of SETTINGS) {
  const r = results.get(s.name)!;
  console.log(`${s.name.padEnd(36)} | ${(median(r.ms) / 1000).toFixed(1).padStart(21)} | ${(median(r.ms) / base).toFixed(2).padStart(5)} | ${median(r.steps).toFixed(1).padStart(16)} | ${r.right}/${cases}`);
}
process.exit(0);
