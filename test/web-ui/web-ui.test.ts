/**
 * The triage web UI in a real browser (Debian's chromium through
 * playwright-core) against a real `kbisect serve`: private Redis, real
 * workers running command probes, the virtual lab's vm1. The same run
 * saves a screenshot of each page to docs/screenshots/.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { next, startBisection } from '@kbisect/bisect';
import { fakeSha, graphOf, linearHistory } from '@kbisect/bisect/testing';
import { BisectionStore, MachineHistory, VerdictCache, hashToken } from '@kbisect/service';
import { launchChromium } from '../support/browser.js';
import { bugFileRepo, type BugFileRepo } from '../support/bug-file-repo.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { serveRedis } from '../support/serve-redis.js';

/** iPXE's line for a download longer than a second. */
const IPXE_SLOW_FETCH = 'http://10.0.2.2:8080/boot/t/vmlinuz... 17%\b\b\b\b    \b\b\b\b ok';

const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
const ADMIN = 'ui-test-admin-token';
const READER = 'ui-test-reader-token';
/** Submissions must name a registered tree (or its exact repo): the test's repository is registered under this name. */
const TREE = 'bugfile';
let serve: ServeProcess;
let repo: BugFileRepo;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
const violations: string[] = [];
let firstId = '';
let secondId = '';
let bayesId = '';
/** serve's own Redis, to write what a lab worker writes (console lines, a machine's test record): no kernel is built here. */
let redis: Redis;
let store: BisectionStore;

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });
}

/** A finished kernel-probe bisection's bad commits over a 9-commit line: the culprit is 5. */
const KERNEL_BADS = new Set([5, 6, 7, 8].map(fakeSha));
const kernelVerdict = (commit: string): 'good' | 'bad' => (KERNEL_BADS.has(commit) ? 'bad' : 'good');
const nowIso = (): string => new Date().toISOString();

/**
 * A kernel-probe bisection over a 9-commit line as the service starts one
 * (created, its graph, initialized), written through BisectionStore: a
 * kernel build takes minutes, and the page reads only the log. Returns the
 * engine's first step, to log its verdicts in the order it asks for them.
 */
async function seedKernelBisection(): Promise<{ id: string; step: ReturnType<typeof startBisection> }> {
  const { graph, good, bad } = graphOf(linearHistory(9));
  const id = await store.create({ repo: '/srv/linux', good: [good], bad, probe: { type: 'kernel', configFragments: ['qemu-x86_64'], pool: 'virtual', reproducer: { name: 'boot' } } }, 'alice', new Date());
  await store.saveGraph(id, graph);
  await store.log.append(id, { type: 'initialized', at: nowIso(), bad, goods: [good], commits: graph.commits.length, untestable: {} });
  return { id, step: startBisection({ graph, bad, goods: [good] }) };
}

async function signIn(p: Page, token: string): Promise<void> {
  await p.goto(`${serve.url}/`);
  await p.waitForURL(/\/signin/);
  await p.getByLabel('Token').fill(token);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { name: 'Bisections' }).waitFor();
}

async function newPage(context: BrowserContext): Promise<Page> {
  const p = await context.newPage();
  p.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  p.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
  return p;
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  repo = await bugFileRepo('kbisect-ui-');
  serve = await startServe('ui', {
    KBISECT_TOKENS: `admin:alice:${hashToken(ADMIN)}:command,read:rita:${hashToken(READER)}`,
    KBISECT_ALLOW_COMMAND_PROBE: '1',
  });
  const registered = await fetch(`${serve.url}/api/v1/trees`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: TREE, repo: repo.repo }) });
  if (registered.status !== 201) throw new Error(`registering the tree: ${registered.status} ${await registered.text()}`);
  redis = await serveRedis(serve.state);
  store = new BisectionStore(redis, process.env.KBISECT_NAMESPACE ?? 'kbisect');
  browser = await launchChromium();
  admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await newPage(admin);
}, 180_000);

afterAll(async () => {
  redis?.disconnect();
  await browser?.close();
  await serve?.stop();
  await repo?.cleanup();
});

describe('the web UI against kbisect serve', () => {
  it('signs in with a token and lands on the bisections list', async () => {
    const p = await newPage(admin);
    await p.goto(`${serve.url}/`);
    await p.waitForURL(/\/signin/);
    await shot(p, 'sign-in');
    await p.getByLabel('Token').fill('not-a-token');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => p.locator('#token-error').textContent()).toContain('not a valid token');
    await p.close();
    await signIn(page, ADMIN);
    expect(await page.locator('#who').textContent()).toContain('alice (admin)');
    const cookies = await admin.cookies();
    expect(cookies.find((c) => c.name === 'kbisect_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  }, 60_000);

  it('submits a command-probe bisection through the form, field errors next to the field', async () => {
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByRole('heading', { name: 'Submit a bisection' }).waitFor();
    await page.locator('#s-repo').selectOption(TREE);
    await page.getByLabel(/Good ref/).fill(repo.shas[0]!);
    await page.getByLabel('Bad ref').fill('-x');
    await page.getByLabel(/Test command/).fill("sleep 1; if test -e BUG; then echo 'BUG is here: pinned pages moved'; exit 1; fi; echo 'no BUG file'");
    await page.getByRole('button', { name: 'Submit bisection' }).click();
    await expect.poll(() => page.locator('#s-bad-error').textContent()).toMatch(/bad/);
    await shot(page, 'submit');
    await page.getByLabel('Bad ref').fill(repo.shas[22]!);
    await page.getByRole('button', { name: 'Submit bisection' }).click();
    await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
    firstId = /\/b\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
    // A flaky-policy bisection, running meanwhile, for the posterior chart (checked later).
    bayesId = await page.evaluate(async ([tree, good, bad]) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrf: string };
      const r = await fetch('/api/v1/bisections', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf }, body: JSON.stringify({ repo: tree, good: [good], bad, probe: { type: 'command', command: 'test ! -e BUG' }, options: { policy: 'bayes', confidence: 0.9, detection: 0.9, checkEndpoints: false } }) });
      return ((await r.json()) as { id: string }).id;
    }, [TREE, repo.shas[10]!, repo.shas[20]!] as const);
  }, 60_000);

  it('shows the range picture and the steps change live, without a reload, to the culprit', async () => {
    await page.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
    const seen = { candidates: new Set<string>(), steps: new Set<number>() };
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      const candidates = await page.locator('#range-summary').getAttribute('data-candidates').catch(() => null);
      if (candidates !== null) seen.candidates.add(candidates);
      seen.steps.add(await page.locator('#steps tbody tr').count());
      if ((await page.locator('#status').textContent()) === 'found') break;
      await page.waitForTimeout(200);
    }
    expect(await page.locator('#status').textContent(), serve.stderr()).toBe('found');
    // Several distinct states were drawn on the same page: the picture shrank and the table grew live.
    expect(seen.candidates.size).toBeGreaterThan(2);
    expect(seen.steps.size).toBeGreaterThan(2);
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    await expect.poll(() => page.locator('#culprit').textContent()).toContain(repo.shas[17]!);
    await expect.poll(() => page.locator('#fixes').textContent()).toBe(`Fixes: ${repo.shas[17]!.slice(0, 12)} ("mm: break pinning")`);
    expect(await page.locator('#steps tbody tr[data-verdict="bad"]').count()).toBeGreaterThan(0);
    // Polled: the view and the range are fetched side by side, and one refresh may pair the answer with the range before it.
    await expect.poll(() => page.locator('#range-summary').textContent()).toMatch(/^22 commits; .*; 1 candidate left\.$/);
    // A command probe boots nothing: its Boot cell says how long the command ran (each sleeps 1 s).
    expect(await page.locator('#steps tbody tr td.boot-time').first().textContent()).toMatch(/^run \d+(\.\d)? s$/);
    await expect.poll(() => page.locator('#report').textContent()).toContain('Fixes:');
    // The finished event (with the culprit's author) arrives after the deciding verdict, on the same stream.
    await expect.poll(() => page.locator('#bisection-header').textContent(), { timeout: 30_000 }).toContain('Author');
    expect(await page.locator('#bisect-log').getAttribute('href')).toBe(`/api/v1/bisections/${firstId}/log`);
    await shot(page, 'bisection');
  }, 180_000);

  it('retries a bisection with the same request and opens the new one', async () => {
    await page.getByRole('button', { name: 'Retry (same request)' }).click();
    await page.waitForURL((u) => /\/b\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(firstId));
    await expect.poll(() => page.locator('#bisection-header').textContent()).toContain(repo.shas[22]!.slice(0, 12));
    await page.goto(`${serve.url}/b/${firstId}`);
    await page.locator('#steps').waitFor();
  }, 60_000);

  it('overrides the culprit with a reason, kept on the page and in the report', async () => {
    await page.locator('#an-kind').selectOption('culprit-override');
    await page.locator('#an-culprit').fill(repo.shas[18]!);
    await page.locator('#an-reason').fill('17 only breaks it under THP; 18 is the real change');
    await page.getByRole('button', { name: 'Record' }).click();
    await expect.poll(() => page.locator('#annotations').textContent(), { timeout: 20_000 }).toContain('17 only breaks it under THP');
    expect(await page.locator('#annotations').textContent()).toContain('alice');
    await expect.poll(() => page.locator('#report').textContent()).toContain(`the culprit is ${repo.shas[18]!.slice(0, 12)} instead`);
  }, 60_000);

  it("opens a verdict's evidence in the viewer", async () => {
    // The first step checks the bad end, where the command prints the bug and nothing else.
    await page.locator('#steps button.evidence-open').first().click();
    await page.locator('#evidence .log-line').first().waitFor();
    expect(page.url()).toMatch(/#evidence=/);
    expect(await page.locator('#evidence h3').textContent()).toMatch(/-check-bad-0 \(1 line\)$/);
    expect(await page.locator('#evidence .log-line').allTextContents()).toEqual(['BUG is here: pinned pages moved']);
    // The box fits its one line, not the 420 px a long log gets.
    expect((await page.locator('#evidence .log').boundingBox())!.height).toBeLessThan(60);
    await shot(page, 'evidence');
  }, 60_000);

  it('shows the build and boot time of each lab step, and its runs, in the steps table', async () => {
    // A finished kernel-probe bisection as the lab workers log it (a kernel build here takes minutes).
    const culprit = fakeSha(5);
    const seeded = await seedKernelBisection();
    const { id } = seeded;
    let { step } = seeded;
    for (let n = 1; step.commands[0]?.type === 'test'; n++) {
      const { commit } = step.commands[0];
      const verdict = kernelVerdict(commit);
      await store.log.append(id, {
        type: 'verdict', at: new Date().toISOString(), commit, verdict, reason: `test reported ${verdict}`, source: 'probe', durationMs: (60 + n) * 1000 + 17_500,
        evidence: `console-${commit}`, buildEvidence: `build-${commit}`, machine: 'vm1', metrics: { buildSeconds: 60 + n, totalSeconds: 17.5, resultSeconds: 15 },
      });
      step = next(step.state, { type: 'verdict', commit, verdict });
    }
    const subjects = ['', 'mm: account pinned pages', 'vfio: map in batches', 'mm/gup: split the slow path', 'x86/mm: flush once', 'mm/gup: drop FOLL_LONGTERM checks', 'mm: tidy', 'vfio: retry', 'Linux 6.1-rc1'];
    const commits = subjects.map((subject, i) => ({ sha: fakeSha(i), subject, authorName: 'Dev', authorEmail: 'dev@example.org', authorDate: '2022-10-01T09:00:00Z' })).slice(1);
    await store.log.append(id, { type: 'finished', at: new Date().toISOString(), status: 'found', culprit, commits });
    await store.setStatus(id, 'found');
    await page.goto(`${serve.url}/b/${id}`);
    await expect.poll(() => page.locator('#status').textContent()).toBe('found');
    const rows = page.locator('#steps tbody tr');
    expect(await rows.count()).toBeGreaterThan(1);
    expect(await rows.first().locator('td.build-time').textContent()).toBe('1m 01s');
    expect(await rows.first().locator('td.boot-time').textContent()).toBe('18 s');
    expect(await rows.nth(1).locator('td.build-time').textContent()).toBe('1m 02s');
    expect(await page.locator('#steps thead').textContent()).toMatch(/Machine.*Build.*Boot.*Runs/);
    expect(await rows.first().textContent()).toContain('vm1');
    expect(await page.locator('#fixes').textContent()).toBe(`Fixes: ${culprit.slice(0, 12)} ("mm/gup: drop FOLL_LONGTERM checks")`);
    await shot(page, 'steps-timings');
  }, 60_000);

  /** The bisection whose first step the verdict cache answered (running), and the commit it tests next. */
  let reusing: { id: string; next: string } | undefined;

  it("marks a verdict taken from the verdict cache as reused, linking to the original bisection's evidence", async () => {
    const cache = new VerdictCache(redis, store.keys);
    const fingerprint = `ui-test-${Date.now()}`;
    // The original: each lab step streams its console, stores its evidence, logs its verdict and caches it (lab-test-job.ts, the orchestrator).
    const origin = await seedKernelBisection();
    for (let step = origin.step; step.commands[0]?.type === 'test';) {
      const { commit } = step.commands[0];
      const verdict = kernelVerdict(commit);
      const at = nowIso();
      await store.console.append(origin.id, { type: 'step-progress', at, commit, phase: 'console', message: '2 console line(s)', lines: [`[    0.000000] Linux version 6.1.0 (${commit.slice(0, 12)})`, `KBISECT-RESULT {"verdict":"${verdict}"}`] });
      // As a serial console carries it: iPXE's screen reset, a download's percentages rubbed out with backspaces, CRLF.
      const evidence = await store.putEvidence(origin.id, `console-${commit}`, `console of ${commit}\n\x1bc\x1b[?7l\x1b[2JSeaBIOS (version 1.16.2)\r\n${IPXE_SLOW_FETCH}\r\nKBISECT-RESULT {"verdict":"${verdict}"}\n`);
      const buildEvidence = await store.putEvidence(origin.id, `build-${commit}`, '  CC      mm/gup.o\n');
      await store.log.append(origin.id, { type: 'verdict', at, commit, verdict, reason: `test reported ${verdict}`, source: 'probe', evidence, buildEvidence, machine: 'vm1' });
      await cache.record({ fingerprint, commit, run: 0 }, { verdict, reason: `test reported ${verdict}`, bisection: origin.id, run: 0, at, evidence, buildEvidence, machine: 'vm1' });
      step = next(step.state, { type: 'verdict', commit, verdict });
    }
    await store.log.append(origin.id, { type: 'finished', at: nowIso(), status: 'found', culprit: fakeSha(5) });
    await store.setStatus(origin.id, 'found');
    // A later bisection of the same range with the same probe: the cache answers its first step, logged as dispatch-round.ts logs it.
    const later = await seedKernelBisection();
    const first = later.step.commands[0];
    if (first?.type !== 'test') throw new Error('the engine asked for no test');
    const cached = await cache.lookup({ fingerprint, commit: first.commit, run: 0 });
    if (!cached?.evidence || !cached.buildEvidence || !cached.machine) throw new Error('the cache lost the run');
    await store.log.append(later.id, {
      type: 'verdict', at: nowIso(), commit: first.commit, source: 'probe', verdict: cached.verdict, reason: cached.reason, machine: cached.machine,
      reused: { bisection: cached.bisection, run: cached.run, evidence: cached.evidence, buildEvidence: cached.buildEvidence },
    });
    const then = next(later.step.state, { type: 'verdict', commit: first.commit, verdict: cached.verdict }).commands[0];
    if (then?.type !== 'test') throw new Error('the engine asked for no second test');
    reusing = { id: later.id, next: then.commit };

    await page.goto(`${serve.url}/b/${later.id}`);
    const row = page.locator(`#steps tr[data-reused-from="${origin.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-commit')).toBe(first.commit);
    const from = row.locator('a.reused-from');
    expect(await from.textContent()).toBe(`reused from ${origin.id.slice(0, 8)}`);
    expect(await from.getAttribute('href')).toBe(`/b/${origin.id}#commit=${first.commit}&evidence=console-${first.commit}`);
    expect(await row.locator('a.reused-evidence').evaluateAll((links) => links.map((a) => [a.textContent, a.getAttribute('href')]))).toEqual([
      ['output (original)', `/b/${origin.id}#commit=${first.commit}&evidence=console-${first.commit}`],
      ['build log (original)', `/b/${origin.id}#commit=${first.commit}&evidence=build-${first.commit}&kind=build`],
    ]);
    // Its own evidence is not here: no button opens a name this bisection does not have.
    expect(await row.locator('button').count()).toBe(0);
    expect(await row.textContent()).toContain('vm1');
    await shot(page, 'steps-reused');
    // The link opens the original's page, the commit focused and its console in the viewer.
    await from.click();
    await page.waitForURL((u) => u.pathname === `/b/${origin.id}`);
    await expect.poll(() => page.locator('#evidence .log-line').first().textContent(), { timeout: 20_000 }).toBe(`console of ${first.commit}`);
    expect(await page.locator('#evidence h3').textContent()).toContain(`console-${first.commit}`);
    // Drawn as the terminal showed it; the raw file keeps every byte.
    expect(await page.locator('#evidence .log-line').evaluateAll((lines) => lines.slice(1, 3).map((l) => l.textContent))).toEqual(['SeaBIOS (version 1.16.2)', 'http://10.0.2.2:8080/boot/t/vmlinuz... ok']);
    const rawHref = await page.locator('#evidence a.raw-log').getAttribute('href');
    expect(rawHref).toBe(`/api/v1/bisections/${origin.id}/evidence/console-${first.commit}`);
    expect(await page.evaluate(async (href) => (await fetch(href, { credentials: 'same-origin' })).text(), rawHref!)).toContain(IPXE_SLOW_FETCH);
    await expect.poll(() => page.locator('#range-focus').textContent()).toContain(first.commit.slice(0, 12));

    // The original has ended: its event stream replays the consoles its steps streamed, and none of them is called live.
    await expect.poll(() => page.locator('#live-console .log-line').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.locator('#live-console > h3').textContent()).toBe('Streamed console');
    expect(await page.locator('#live-console section.evidence[data-live]').count()).toBe(0);
    expect(await page.locator('#live-console section.evidence h3').textContent()).toMatch(/, as streamed \(the bisection has ended; the whole console is the step's evidence\) \(2 lines\)$/);
    expect(await page.locator('#live-console').textContent()).not.toMatch(/\blive\b/i);
    expect(await page.locator('#live').textContent()).toBe('');
  }, 60_000);

  it("calls a step's console live only while the step runs: not once its verdict is in, nor after the bisection ended", async () => {
    if (!reusing) throw new Error('needs the reusing bisection of the test before');
    const { id, next: commit } = reusing;
    await page.goto(`${serve.url}/b/${id}`);
    await page.locator('#steps tbody tr').first().waitFor();
    const short = commit.slice(0, 12);
    const title = page.locator('#live-console section.evidence h3');
    await store.console.append(id, { type: 'step-progress', at: nowIso(), commit, phase: 'console', message: '2 console line(s)', lines: ['[    0.000000] Linux version 6.1.0-kbisect', '[    1.234567] Run /init as init process'] });
    await expect.poll(() => title.textContent(), { timeout: 20_000 }).toBe(`Console of ${short}, live (2 lines)`);
    expect(await page.locator('#live-console > h3').textContent()).toBe('Live console');
    expect(await page.locator('#live-console section.evidence').getAttribute('data-live')).toBe('true');
    // The step ends: its verdict is logged (the bisection runs on).
    await store.log.append(id, { type: 'verdict', at: nowIso(), commit, verdict: kernelVerdict(commit), reason: 'test reported', source: 'probe', machine: 'vm1' });
    await expect.poll(() => title.textContent(), { timeout: 20_000 }).toBe(`Console of ${short}, as streamed (the step has ended; the whole console is the step's evidence) (2 lines)`);
    expect(await page.locator('#live-console > h3').textContent()).toBe('Streamed console');
    expect(await page.locator('#live-console section.evidence').getAttribute('data-live')).toBeNull();
    expect(await page.locator('#status').textContent()).toBe('running');
    // Then the bisection ends.
    await store.log.append(id, { type: 'cancel-requested', at: nowIso(), by: 'alice', reason: 'enough' });
    await store.log.append(id, { type: 'finished', at: nowIso(), status: 'cancelled' });
    await store.setStatus(id, 'cancelled');
    await expect.poll(() => title.textContent(), { timeout: 20_000 }).toMatch(/as streamed \(the bisection has ended/);
    expect(await page.locator('#status').textContent()).toBe('cancelled');
  }, 60_000);

  it("streams a running step's console into the viewer without a reload, the classifier's lines marked, 5 MB without freezing", async () => {
    const running = await page.evaluate(async ([tree, good, bad]) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrf: string };
      const r = await fetch('/api/v1/bisections', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf }, body: JSON.stringify({ repo: tree, good: [good], bad, probe: { type: 'command', command: 'sleep 30; test ! -e BUG' }, options: { checkEndpoints: false } }) });
      return ((await r.json()) as { id: string }).id;
    }, [TREE, repo.shas[0]!, repo.shas[29]!] as const);
    await page.goto(`${serve.url}/b/${running}`);
    await page.locator('#bisection-header').waitFor();
    await page.evaluate(() => ((globalThis as unknown as { consoleOnce: boolean }).consoleOnce = true));
    const commit = repo.shas[15]!;
    // What a lab worker appends while the machine boots (lab-test-job.ts): batches of console lines on the console stream.
    const append = (lines: string[]) => store.console.append(running, { type: 'step-progress', at: new Date().toISOString(), commit, phase: 'console', message: `${lines.length} console line(s)`, lines });
    await append(['[    0.000000] Linux version 6.1.0-kbisect (dev@example.org)', '[    1.234567] Run /init as init process']);
    await expect.poll(() => page.locator('#live-console .log-line').count(), { timeout: 20_000 }).toBe(2);
    await append(['[    2.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008', '[    2.000100] Call Trace:', 'KBISECT-RESULT {"verdict":"bad","mismatches":3}']);
    await expect.poll(() => page.locator('#live-console .log-line.result').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.locator('#live-console .log-line.mark').count()).toBe(2);
    expect(await page.locator('#live-console .mark-jump').first().textContent()).toContain('BUG: kernel NULL pointer dereference');
    expect(await page.locator('#live-console h3').last().textContent()).toContain(`Console of ${commit.slice(0, 12)}, live (5 lines)`);
    await shot(page, 'live-console');
    // 5 MB more, in the worker's batch sizes: the tab keeps answering and the DOM holds only the lines in view.
    const line = (n: number): string => `[ ${(n / 1000).toFixed(6)}] vfio-pci 0000:00:05.0: DMA map ${n} pages pinned, iova 0x${(n * 4096).toString(16).padStart(12, '0')}`;
    let total = 5;
    for (let b = 0, n = 0, bytes = 0; bytes < 5 * 1024 * 1024; b++) {
      const batch: string[] = [];
      for (let i = 0; i < 1000; i++, n++) {
        batch.push(line(n));
        bytes += batch.at(-1)!.length + 1;
      }
      total += batch.length;
      await append(batch);
    }
    await expect.poll(() => page.locator('#live-console h3').last().textContent(), { timeout: 60_000 }).toContain(`(${total} lines)`);
    const t0 = Date.now();
    expect(await page.locator('#live-console .log-line').count()).toBeLessThan(200);
    // The DOM count is the guard; the time bound catches a frozen tab while leaving a loaded CI machine's round trip room.
    expect(Date.now() - t0).toBeLessThan(5000);
    // Following the tail: the newest line is in view.
    await expect.poll(() => page.locator('#live-console .log-line').last().textContent()).toContain(`DMA map ${total - 6} pages`);
    expect(await page.evaluate(() => (globalThis as unknown as { consoleOnce?: boolean }).consoleOnce)).toBe(true);
    await page.evaluate(async (id) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrf: string };
      await fetch(`/api/v1/bisections/${id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf }, body: '{}' });
    }, running);
  }, 180_000);

  it('deep-links to a commit and walks the range picture with the keyboard', async () => {
    await page.goto(`${serve.url}/b/${firstId}#commit=${repo.shas[17]}`);
    await expect.poll(() => page.locator('#range-focus').textContent()).toContain(`${repo.shas[17]!.slice(0, 12)} mm: break pinning`);
    expect(await page.locator('#mv-commit').inputValue()).toBe(repo.shas[17]);
    await page.locator('#range-canvas').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('#range-focus').textContent()).toContain(repo.shas[18]!.slice(0, 12));
    expect(page.url()).toContain(`commit=${repo.shas[18]}`);
  }, 60_000);

  it('gives a manual verdict on a running bisection, then cancels it', async () => {
    const res = await page.evaluate(async ([repoDir, good, bad]) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrf: string };
      const r = await fetch('/api/v1/bisections', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf }, body: JSON.stringify({ repo: repoDir, good: [good], bad, probe: { type: 'command', command: 'sleep 4; test ! -e BUG' } }) });
      return (await r.json()) as { id: string };
    }, [repo.repo, repo.shas[0]!, repo.shas[29]!] as const);
    secondId = res.id;
    await page.goto(`${serve.url}/b/${res.id}`);
    await page.locator('#range-summary').waitFor({ timeout: 60_000 });
    await page.locator('#mv-commit').fill(repo.shas[18]!);
    await page.locator('#mv-verdict').selectOption('bad');
    await page.locator('#mv-reason').fill('seen by hand on my box');
    await page.getByRole('button', { name: 'Give verdict' }).click();
    await expect.poll(() => page.locator('#action-status').textContent(), { timeout: 20_000 }).toContain('accepted');
    await expect.poll(() => page.locator(`#steps tr[data-commit="${repo.shas[18]}"]`).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.locator(`#steps tr[data-commit="${repo.shas[18]}"]`).first().textContent()).toContain('manual');
    await page.getByLabel('Why cancel').fill('enough for today');
    await page.getByRole('button', { name: 'Cancel bisection' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toBe('cancelled');
  }, 120_000);

  it('refuses a POST made with the session cookie but without the CSRF token', async () => {
    const res = await page.evaluate(async (id) => {
      const r = await fetch(`/api/v1/bisections/${id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { status: r.status, body: (await r.json()) as { error: { code: string } } };
    }, firstId);
    expect(res).toEqual({ status: 403, body: { error: expect.objectContaining({ code: 'KBISECT_ERR_CSRF' }) } });
  });

  it('drains and undrains the virtual machine on the machines page, with its recent tests and the reasons', async () => {
    // What the lab worker keeps after a test on vm1 (lab-test-job.ts): the bisection, the commit, the verdict.
    const history = new MachineHistory(redis, store.keys);
    await history.record('vm1', { kind: 'infra-failure', at: new Date().toISOString(), bisection: firstId, commit: repo.shas[17]!, failure: 'no-boot', message: 'vm1 never started a kernel (0 console bytes, no boot banner)' });
    await history.record('vm1', { kind: 'test', at: new Date().toISOString(), bisection: firstId, commit: repo.shas[17]!, verdict: 'bad', reason: 'test reported bad' });
    await page.getByRole('link', { name: 'Machines' }).click();
    const row = page.locator('#machines tr[data-machine="vm1"]');
    await row.waitFor();
    const recent = row.locator('li.recent-test').first();
    await recent.waitFor();
    expect(await recent.textContent()).toContain(`${repo.shas[17]!.slice(0, 12)} ✗ bad`);
    expect(await recent.locator('a').getAttribute('href')).toBe(`/b/${firstId}#commit=${repo.shas[17]}`);
    expect(await row.locator('li.recent-infra').first().textContent()).toContain('⚠ infrastructure: no-boot');
    expect(await row.getAttribute('data-state')).toBe('ready');
    await page.getByLabel('Reason to drain vm1').fill('fan failure');
    await page.getByRole('button', { name: 'Drain vm1' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('drained');
    expect(await row.textContent()).toContain('fan failure');
    await shot(page, 'machines');
    await page.getByLabel('Reason to undrain vm1').fill('fan replaced');
    await page.getByRole('button', { name: 'Undrain vm1' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    await expect.poll(() => row.locator('li.recent-service').allTextContents(), { timeout: 15_000 }).toEqual([expect.stringMatching(/^undrained by alice .*: fan replaced$/), expect.stringMatching(/^drained by alice .*: fan failure$/)]);
    // An operator's reason stays in view at 800 px (a test's reason folds away there).
    await page.setViewportSize({ width: 800, height: 900 });
    expect(await row.locator('li.recent-service .service-reason').first().isVisible()).toBe(true);
    await page.setViewportSize({ width: 1280, height: 900 });
    // The reason is optional, as before: a blank one undrains and records none.
    await page.getByLabel('Reason to drain vm1').fill('');
    await page.getByRole('button', { name: 'Drain vm1' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('drained');
    await page.getByLabel('Reason to undrain vm1').fill('   ');
    await page.getByRole('button', { name: 'Undrain vm1' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    await expect.poll(() => row.locator('li.recent-service').first().textContent(), { timeout: 15_000 }).toMatch(/^undrained by alice \d\d-\d\d \d\d:\d\d$/);
    // And a reason the API refuses comes back as its error, naming the field, the machine untouched.
    // (The field stops at 500 characters, so the page is made to send 501, in one go: a refresh redraws the row.)
    await page.locator('#reason-vm1').evaluate((element) => {
      const input = element as unknown as { value: string; removeAttribute(name: string): void; closest(selector: string): { querySelector(selector: string): { click(): void } | null } | null };
      input.removeAttribute('maxlength');
      input.value = 'x'.repeat(501);
      input.closest('tr')?.querySelector('button.machine-action')?.click();
    });
    await expect.poll(() => page.locator('#machine-status').textContent(), { timeout: 15_000 }).toMatch(/reason/);
    expect(await row.getAttribute('data-state')).toBe('ready');
  }, 60_000);

  it('shows the queues and the list (at 1280 and 800 px)', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.locator('#queues tr[data-role="test"]').waitFor();
    expect(await page.locator('#queues tbody tr').count()).toBe(3);
    await shot(page, 'queues');
    await page.getByRole('link', { name: 'Bisections' }).click();
    await page.locator(`#bisections tr[data-id="${firstId}"]`).waitFor();
    expect(await page.locator(`#bisections tr[data-id="${firstId}"]`).textContent()).toContain('mm: break pinning');
    // The tree column shows the registered name, never the path behind it.
    expect(await page.locator(`#bisections tr[data-id="${firstId}"] td`).nth(1).textContent()).toBe(TREE);
    // Its culprit was overridden on its page: the row says so beside the engine's answer.
    expect(await page.locator(`#bisections tr[data-id="${firstId}"] .judgement`).textContent()).toBe(`culprit overridden to ${repo.shas[18]!.slice(0, 12)} by alice`);
    await shot(page, 'bisections');
    await page.setViewportSize({ width: 800, height: 900 });
    await shot(page, 'bisections-800');
    await page.getByLabel('Culprit text').fill('break pinning');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/q=break/);
    await expect.poll(() => page.locator(`#bisections tbody tr[data-id="${firstId}"]`).count()).toBe(1);
    expect(await page.locator(`#bisections tbody tr[data-id="${secondId}"]`).count()).toBe(0);
    await page.locator('#f-repo').selectOption(TREE);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/repo=bugfile/);
    await expect.poll(() => page.locator(`#bisections tbody tr[data-id="${firstId}"]`).count()).toBe(1);
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 60_000);

  it('charts the posterior of a flaky-policy bisection with the runs behind each commit', async () => {
    await page.goto(`${serve.url}/b/${bayesId}`);
    await page.locator('#posterior').waitFor({ timeout: 120_000 });
    expect(await page.locator('#posterior').textContent()).toMatch(/\d+(\.\d+)?%/);
    await expect.poll(() => page.locator('#posterior').textContent(), { timeout: 120_000 }).toMatch(/\d+ of \d+ runs failed/);
    await shot(page, 'posterior');
    // Its command prints nothing: the viewer says the output is empty rather than drawing an empty box.
    await page.locator('#steps button.evidence-open').first().click();
    await expect.poll(() => page.locator('#evidence h3').textContent()).toMatch(/\(empty\)$/);
    expect(await page.locator('#evidence .empty-log').textContent()).toBe('Empty: nothing was printed.');
    expect(await page.locator('#evidence .log').isHidden()).toBe(true);
  }, 240_000);

  it('shows a read-only user no action controls', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await newPage(context);
    await signIn(p, READER);
    expect(await p.getByRole('link', { name: 'Submit' }).count()).toBe(0);
    await p.goto(`${serve.url}/b/${firstId}`);
    await p.locator('#bisection-header').waitFor();
    expect(await p.locator('#actions[data-readonly="true"]').count()).toBe(1);
    expect(await p.getByRole('button', { name: /Give verdict|Cancel bisection|Retry/ }).count()).toBe(0);
    await p.goto(`${serve.url}/machines`);
    await p.locator('#machines tr[data-machine="vm1"]').waitFor();
    expect(await p.getByRole('button', { name: /drain/i }).count()).toBe(0);
    await context.close();
  }, 60_000);

  it('ran every page under the strict CSP without a violation or a script error', () => {
    expect(violations).toEqual([]);
  });
});
