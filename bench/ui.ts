/**
 * bench/ui — how long the web UI takes to open a big bisection in Chromium.
 *
 * Input: --verdicts N in the big bisection (default 2000), --commits N in its
 *   range (default 4000), --console-mb M of console output opened in the
 *   evidence viewer (default 5), --loads K page loads per case (default 7).
 * Output: per case the median and spread of K cold loads of /b/<id>#evidence=…
 *   — from navigation until the header, the range picture, the first page of
 *   steps (200 rows) and the first console lines are drawn — and the big case's ratio to a
 *   baseline measured in the same run: a bisection with 8 verdicts and a
 *   10 kB console. Then the live console: the same number of MB streamed
 *   into the open big page as a lab worker streams it, until all is drawn,
 *   with the longest main-thread task meanwhile. The API runs in this process on Redis at REDIS_URL (else
 *   127.0.0.1:6379) under a throwaway namespace; the browser is Debian's
 *   chromium through playwright-core. The 5 MB console is stored directly
 *   (the workers cap stored evidence at 256 kB): the point is the viewer.
 */
import { availableParallelism, loadavg } from 'node:os';
import { next, startBisection, type Verdict } from '@kbisect/bisect';
import { descendantsOf, fakeSha, generateHistory, graphOf, seededRandom } from '@kbisect/bisect/testing';
import { launchChromium } from '../test/support/browser.js';
import { apiTestApp } from '../test/support/api-app.js';
import { numberFlag } from './flags.js';

const verdicts = numberFlag('verdicts', 2000);
const commits = numberFlag('commits', 4000);
const consoleMb = numberFlag('console-mb', 5);
const loads = numberFlag('loads', 7);

const t = await apiTestApp('bench-ui', [{ name: 'bench', role: 'admin' }]);
const { app, store, redis } = t;
const token = 't-bench';
const url = await app.listen({ port: 0, host: '127.0.0.1' });

/** A console as a lab worker captures it: boot lines, a splat with a call trace, the result line. */
function consoleText(bytes: number): string {
  const out: string[] = [];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const line = n % 5000 === 4000
      ? `[ ${(n / 100).toFixed(6)}] BUG: unable to handle page fault for address: ${n.toString(16).padStart(16, '0')}`
      : `[ ${(n / 100).toFixed(6)}] vfio-pci 0000:00:04.0: DMA map ${n} pages pinned, iova 0x${(n * 4096).toString(16)}`;
    out.push(line);
    size += line.length + 1;
  }
  out.push('KBISECT-RESULT {"verdict":"bad","pinned":1024}');
  return out.join('\n');
}

/**
 * A bisection as the service logs it: tests answered skip (the engine steps
 * around each) until the true answers still needed make `total` verdicts,
 * then answered truly to the end. Evidence named `console` holds the console.
 */
async function seed(size: number, total: number, consoleBytes: number): Promise<string> {
  const history = generateHistory(seededRandom(size), { commits: size });
  const { graph, good, bad } = graphOf(history);
  const badSet = new Set([...descendantsOf(history, Math.floor(size * 0.6))].map(fakeSha));
  const id = await store.create({ repo: '/srv/linux', good: [good.slice(0, 12)], bad: 'HEAD', probe: { type: 'command', command: 'true' } }, 'bench', new Date());
  await store.saveGraph(id, graph);
  await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: new Date().toISOString(), bad, goods: [good], commits: graph.commits.length, untestable: {} });
  let step = startBisection({ graph, bad, goods: [good] });
  for (let v = 0; step.commands[0]?.type === 'test'; v++) {
    const { commit: c, progress } = step.commands[0];
    // Skip while the true answers still to come would not reach `total`.
    const skip = v + progress.stepsLeft + 1 < total;
    const verdict: Verdict = skip ? 'skip' : badSet.has(c) ? 'bad' : 'good';
    await store.log.append(id, { type: 'verdict', at: new Date().toISOString(), commit: c, verdict, reason: skip ? 'build failed' : `exit ${verdict === 'bad' ? 1 : 0}`, source: 'probe', evidence: 'console', machine: 'vm1', metrics: { pinned: v } });
    step = next(step.state, { type: 'verdict', commit: c, verdict });
  }
  await redis.set(store.keys.evidence(id, 'console'), consoleText(consoleBytes));
  return id;
}

const big = await seed(commits, verdicts, consoleMb * 1024 * 1024);
const small = await seed(200, 0, 10 * 1024);
const bigView = await store.view(big);
if (bigView.verdicts.length < verdicts) throw new Error(`the big bisection has ${bigView.verdicts.length} verdicts, not ${verdicts}`);

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const signIn = await context.request.post(`${url}/api/v1/session`, { data: { token } });
if (signIn.status() !== 201) throw new Error(`sign-in failed: ${signIn.status()}`);

/**
 * One cold load (fresh page, same session). `inPage`: from the navigation's
 * start to the later of the page's two User Timing marks (header, picture and
 * steps drawn; the console drawn in the viewer), what a user waits for.
 * `wall`: the same seen from here, including creating the tab and polling.
 */
async function load(id: string, rows: number): Promise<{ inPage: number; wall: number }> {
  const page = await context.newPage();
  const started = performance.now();
  await page.goto(`${url}/b/${id}#evidence=console`);
  await page.locator('#range-summary[data-tested]').waitFor({ timeout: 30_000 });
  await page.locator('#evidence .log-line').first().waitFor({ timeout: 30_000 });
  await page.locator(`#steps tbody tr:nth-child(${Math.min(rows, STEPS_PAGE)})`).waitFor({ timeout: 30_000 });
  const wall = performance.now() - started;
  const marks = await page.evaluate(() => ['kbisect:page-drawn', 'kbisect:evidence-drawn'].map((n) => performance.getEntriesByName(n)[0]?.startTime ?? Number.NaN));
  await page.close();
  return { inPage: Math.max(...marks), wall };
}

/** The UI draws steps a page at a time (STEPS_PAGE in apps/web/src/steps-table.ts, a DOM module this Node script cannot import). */
const STEPS_PAGE = 200;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const measure = async (id: string, rows: number): Promise<{ inPage: number[]; wall: number[] }> => {
  await load(id, rows); // warm-up: the API's first fold of the log, the browser's module cache
  const out = { inPage: [] as number[], wall: [] as number[] };
  for (let k = 0; k < loads; k++) {
    const one = await load(id, rows);
    out.inPage.push(one.inPage);
    out.wall.push(one.wall);
  }
  return out;
};
const smallView = await store.view(small);
const base = await measure(small, smallView.verdicts.length);
const heavy = await measure(big, bigView.verdicts.length);
/** The API's share: each request the page makes for the big bisection, timed from Node (median of `loads`). */
async function apiShare(id: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  const parts: string[] = [];
  for (const path of ['', '/range', '/report', '/evidence/console']) {
    const xs: number[] = [];
    for (let k = 0; k < loads; k++) {
      const t = performance.now();
      await (await fetch(`${url}/api/v1/bisections/${id}${path}`, { headers })).arrayBuffer();
      xs.push(performance.now() - t);
    }
    parts.push(`${path || '(view)'} ${median(xs).toFixed(0)} ms`);
  }
  return parts.join(', ');
}
/**
 * The live console: `bytes` of console lines appended as a lab worker does
 * (1,000-line batches on the bisection's console stream) while the big
 * bisection's page is open. From the first append until the viewer's heading
 * counts every line, and the longest main-thread task meanwhile (Chromium's
 * longtask entries, 50 ms and up): whether the tab froze.
 */
async function liveConsole(id: string, bytes: number): Promise<{ batches: number; appendMs: number; drawnMs: number; longestTaskMs: number }> {
  const page = await context.newPage();
  await page.goto(`${url}/b/${id}`);
  await page.locator('#range-summary[data-tested]').waitFor({ timeout: 30_000 });
  await page.evaluate(() => {
    const seen = globalThis as unknown as { longestTask: number };
    seen.longestTask = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) seen.longestTask = Math.max(seen.longestTask, e.duration);
    // 'longtask' is Chromium's entry type; Node's typings (this script's) do not list it.
    }).observe({ entryTypes: ['longtask'] } as unknown as Parameters<InstanceType<typeof PerformanceObserver>['observe']>[0]);
  });
  const commit = fakeSha(1);
  const started = performance.now();
  let lines = 0;
  let batches = 0;
  for (let size = 0; size < bytes; batches++) {
    const batch: string[] = [];
    for (let i = 0; i < 1000; i++, lines++) {
      batch.push(`[ ${(lines / 1000).toFixed(6)}] vfio-pci 0000:00:05.0: DMA map ${lines} pages pinned, iova 0x${(lines * 4096).toString(16)}`);
      size += batch.at(-1)!.length + 1;
    }
    await store.console.append(id, { type: 'step-progress', at: new Date().toISOString(), commit, phase: 'console', message: `${batch.length} console line(s)`, lines: batch });
  }
  const appendMs = performance.now() - started;
  await page.locator('#live-console h3', { hasText: `(${lines} lines)` }).waitFor({ timeout: 120_000 });
  const drawnMs = performance.now() - started;
  const longestTaskMs = await page.evaluate(() => (globalThis as unknown as { longestTask: number }).longestTask);
  await page.close();
  return { batches, appendMs, drawnMs, longestTaskMs };
}
const live = await liveConsole(big, consoleMb * 1024 * 1024);
const fmt = (xs: number[]): string => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
console.log(`web UI: open /b/<id> with its console in the evidence viewer, ${loads} cold loads each, Chromium ${browser.version()}`);
console.log(`  baseline: ${smallView.verdicts.length} verdicts, 200-commit range, 10 kB console:  in page ${fmt(base.inPage)}; wall ${fmt(base.wall)}`);
console.log(`  big:      ${bigView.verdicts.length} verdicts, ${commits}-commit range, ${consoleMb} MB console:  in page ${fmt(heavy.inPage)}; wall ${fmt(heavy.wall)}`);
console.log(`  API requests of the big case (Node, medians): ${await apiShare(big)}`);
console.log(`  ratio big/baseline (in-page medians): ${(median(heavy.inPage) / median(base.inPage)).toFixed(2)}x; opens in under one second: ${median(heavy.inPage) < 1000 ? 'yes' : 'NO'}`);
console.log(`  live console: ${consoleMb} MB streamed into the open page in ${live.batches} batches of 1,000 lines (appended in ${live.appendMs.toFixed(0)} ms): all drawn ${live.drawnMs.toFixed(0)} ms after the first append; longest main-thread task meanwhile ${live.longestTaskMs.toFixed(0)} ms`);
console.log(`  machine load while measuring (1-minute load average, ${availableParallelism()} cores): ${loadavg()[0]!.toFixed(1)}`);

await browser.close();
await t.close();
