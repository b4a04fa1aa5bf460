/**
 * bench/reuse — shared results through the real service (issue #18, point 4):
 * a first bisection over good..main, then a second over an overlapping range
 * (a later good commit..main) with the same probe, taking the first one's
 * verdicts from the cache; as the baseline, the same second bisection with
 * `reuse: false`, in the same run on the same histories.
 *
 * Input: flags --cases N (default 5), --commits N (default 2000), --sleep S
 *        (seconds per test, default 0.2), --seed S. Needs Redis (REDIS_URL or
 *        127.0.0.1:6379) as the tests do.
 * Output: per bisection kind, the median tests run (commits tested here),
 * verdicts reused and wall clock, and the ratios of the reusing second
 * bisection to its baseline; every answer is checked against the culprit.
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { oracleRepo, startHarness, type Harness } from '../test/support/service-harness.js';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const cases = numberFlag('cases', 5);
const commits = numberFlag('commits', 2000);
const sleep = numberFlag('sleep', 0.2);
const seed = numberFlag('seed', 2016);

interface View { status: string; culprit?: string; steps: number; reused?: number }
type Kind = 'first (good..main)' | 'second, reusing' | 'second, reuse: false';
const KINDS: readonly Kind[] = ['first (good..main)', 'second, reusing', 'second, reuse: false'];

async function bisect(h: Harness, tree: string, good: string, command: string, reuse: boolean): Promise<{ ms: number; view: View }> {
  const t0 = performance.now();
  // One test at a time: the count of tests is what is compared, not multisection.
  const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: tree, good: [good], bad: 'main', probe: { type: 'command', command }, options: { maxParallel: 1, checkEndpoints: false, ...(reuse ? {} : { reuse: false }) } });
  if (created.status !== 201) throw new Error(`submit refused: ${JSON.stringify(created.body)}`);
  for (;;) {
    const { body } = await h.fetchJson<View>('GET', `/api/v1/bisections/${created.body.id}`);
    if (!['running', 'queued', 'initializing'].includes(body.status)) return { ms: performance.now() - t0, view: body };
    await new Promise((r) => setTimeout(r, 50));
  }
}

const load = loadavg()[0]!;
const h = await startHarness('bench-reuse', { env: { KBISECT_SANDBOX: 'off' } });
const results = new Map<Kind, { ms: number[]; steps: number[]; reused: number[]; right: number }>(KINDS.map((k) => [k, { ms: [], steps: [], reused: [], right: 0 }]));
try {
  const random = seededRandom(seed);
  for (let n = 0; n < cases; n++) {
    const history = generateHistory(random, { commits });
    const culprit = 1 + Math.floor(random() * (history.parents.length - 2));
    const repo = await oracleRepo(history, culprit, []);
    try {
      const script = join(repo.scratch, 'slow.sh');
      await writeFile(script, `#!/bin/sh\nsleep ${sleep}\nexec sh ${repo.script}\n`, { mode: 0o755 });
      const tree = await h.registerTree(repo.fx.dir);
      // A later good end: a commit that does not contain the culprit, about halfway to it.
      let later = Math.floor(culprit / 2);
      while (later > 0 && repo.badSet.has(repo.fx.shas[later]!)) later--;
      const runs: [Kind, string, boolean][] = [[KINDS[0]!, repo.fx.shas[0]!, true], [KINDS[1]!, repo.fx.shas[later]!, true], [KINDS[2]!, repo.fx.shas[later]!, false]];
      for (const [kind, good, reuse] of runs) {
        const { ms, view } = await bisect(h, tree, good, `sh ${script}`, reuse);
        const r = results.get(kind)!;
        r.ms.push(ms);
        r.steps.push(view.steps);
        r.reused.push(view.reused ?? 0);
        if (view.status === 'found' && view.culprit === repo.fx.shas[culprit]) r.right++;
      }
    } finally {
      await repo.cleanup();
    }
  }
} finally {
  await h.close();
}
const row = (k: Kind) => results.get(k)!;
console.log(`shared results through the service — ${cases} generated histories of ${commits} commits, a command probe sleeping ${sleep} s, one test at a time (seed ${seed}; load average ${load.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end)`);
console.log('bisection             | tests run median | reused median | wall clock median (s) | found the culprit');
for (const k of KINDS) {
  const r = row(k);
  console.log(`${k.padEnd(21)} | ${median(r.steps).toFixed(1).padStart(16)} | ${median(r.reused).toFixed(1).padStart(13)} | ${(median(r.ms) / 1000).toFixed(2).padStart(21)} | ${r.right}/${cases}`);
}
const ratio = (a: number[], b: number[]): string => (median(a) / median(b)).toFixed(2);
console.log(`second, reusing vs reuse: false — tests run ${ratio(row(KINDS[1]!).steps, row(KINDS[2]!).steps)}x, wall clock ${ratio(row(KINDS[1]!).ms, row(KINDS[2]!).ms)}x; vs the first — tests run ${ratio(row(KINDS[1]!).steps, row(KINDS[0]!).steps)}x`);
process.exit(0);
