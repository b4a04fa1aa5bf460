/**
 * Issue #18 points 2, 4 and 6 through the real service (API, BullMQ on
 * Redis, orchestrator and test workers in process): a round's k follows the
 * live test worker slots; a flaky policy's repeated runs of one commit run at
 * once; a later bisection over an overlapping range reuses verdicts from the
 * shared cache and tests fewer commits; two bisections running at once share
 * one test per run; `reuse: false` and an invalid annotation make every run
 * tested again. The probes log their starts and ends outside their worktrees,
 * which the sandbox (rightly) forbids: it is off here, its own tests cover it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { gitBisectRun, type GitBisectOutcome } from './support/git-fixture.js';
import { oracleRepo, startHarness, TOKEN, waitForEnd, type Harness, type OracleRepo } from './support/service-harness.js';
import { maxConcurrent } from './support/concurrency.js';

interface View {
  id: string;
  status: string;
  culprit?: string;
  steps: number;
  reused?: number;
  maxParallel?: number;
  verdicts: { commit: string; verdict: string; purpose?: string; reusedFrom?: string; reusedEvidence?: string[]; reused?: { purpose?: string } }[];
  rounds?: { n: number; k: number; runs: { commit: string; run?: number; via: string; from?: string; machine?: string }[] }[];
}

let h: Harness;
let repo: OracleRepo;
let git: GitBisectOutcome;
let tree: string;
let log: string;
let probe: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  h = await startHarness('lab-rounds', { env: { KBISECT_TEST_CONCURRENCY: '4', KBISECT_SANDBOX: 'off' } });
  cleanups.push(() => h.close());
  const history = generateHistory(seededRandom(18), { commits: 300, forkRate: 0.1, mergeRate: 0.1 });
  repo = await oracleRepo(history, 201, []);
  cleanups.push(() => repo.cleanup());
  log = join(repo.scratch, 'runs.log');
  await writeFile(log, '');
  probe = join(repo.scratch, 'timed.sh');
  // One line per run: which bisection ran which commit, when it started and ended ($$ tells two runs of one commit apart).
  await writeFile(probe, `#!/bin/sh\necho "start $(date +%s%3N) $KBISECT_COMMIT $$ $KBISECT_BISECTION" >> ${log}\nsleep 0.3\nsh ${repo.script}; code=$?\necho "end $(date +%s%3N) $KBISECT_COMMIT $$ $KBISECT_BISECTION" >> ${log}\nexit $code\n`, { mode: 0o755 });
  git = await gitBisectRun(repo.fx.dir, { bad: repo.fx.shas[history.tip]!, good: repo.fx.shas[0]!, badSet: repo.badSet, skipSet: repo.skipSet, scratch: repo.scratch });
  tree = await h.registerTree(repo.fx.dir);
}, 120_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 120_000);

async function submit(good: string, options: Record<string, unknown>, command = `sh ${probe}`): Promise<string> {
  const res = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: tree, good: [good], bad: 'main', probe: { type: 'command', command }, options: { checkEndpoints: false, ...options } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The probe's runs, as its log says: [commit, pid, bisection] of each run that ended. */
async function runsOf(bisection?: string): Promise<string[][]> {
  const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l.startsWith('end '));
  return lines.map((l) => l.split(' ').slice(2)).filter((f) => bisection === undefined || f[2] === bisection);
}

async function report(id: string): Promise<string> {
  const res = await fetch(`${h.url}/api/v1/bisections/${id}/report`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/plain' } });
  return res.text();
}

describe('rounds follow the lab, results are shared', () => {
  let first: View;

  it('k follows the live test worker slots (4) with no maxParallel, shows the rounds and finds git bisect run\'s culprit', async () => {
    const id = await submit(repo.fx.shas[0]!, {});
    first = await waitForEnd<View>(h, id, 180_000);
    expect(first.status).toBe('found');
    expect(first.culprit).toBe(git.culprit);
    expect(first.maxParallel).toBe(4);
    const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l.endsWith(id));
    expect(maxConcurrent(lines), lines.join('\n')).toBeGreaterThanOrEqual(3);
    expect(first.rounds!.some((r) => r.k === 4 && r.runs.length >= 2)).toBe(true);
    // Each run tested here ran on a named slot of a test worker.
    expect(first.rounds!.flatMap((r) => r.runs).filter((r) => r.via === 'test').every((r) => r.machine === undefined || /\/slot-\d+$/.test(r.machine))).toBe(true);
    expect(await report(id)).toMatch(/round 2 \(k=4\): \w{12} on [^ ]+\/slot-\d -> (good|bad)/);
  }, 240_000);

  it('a second bisection over an overlapping range reuses the first one\'s verdicts, tests fewer commits and says where each came from', async () => {
    const firstGoods = first.verdicts.filter((v) => v.verdict === 'good').map((v) => v.commit);
    // A later good end inside the first range: the overlap is everything between it and main.
    const later = firstGoods[0] ?? repo.fx.shas[0]!;
    const id = await submit(later, {});
    const second = await waitForEnd<View>(h, id, 180_000);
    expect(second.status).toBe('found');
    expect(second.culprit).toBe(git.culprit);
    expect(second.reused).toBeGreaterThan(0);
    expect(second.steps).toBeLessThan(first.steps);
    expect((await runsOf(id)).length).toBe(second.steps);
    const reused = second.verdicts.filter((v) => v.reusedFrom !== undefined);
    expect(reused.every((v) => v.reusedFrom === first.id && v.reusedEvidence?.[0]?.startsWith(`/api/v1/bisections/${first.id}/evidence/`))).toBe(true);
    expect(await report(id)).toContain(`reused from ${first.id}`);
  }, 240_000);

  it('reuse: false tests every run here', async () => {
    const id = await submit(repo.fx.shas[0]!, { reuse: false, maxParallel: 1 });
    const view = await waitForEnd<View>(h, id, 180_000);
    expect(view.culprit).toBe(git.culprit);
    expect(view.reused).toBeUndefined();
    expect(view.steps).toBe(git.tested.length);
    expect((await runsOf(id)).length).toBe(view.steps);
  }, 240_000);

  it('two bisections running at once share one test per run: each commit runs once, the second waits for the first\'s result', async () => {
    // Another probe fingerprint (the command differs), so nothing is cached yet; one at a time, so both walk git's path.
    const command = `sh ${probe} # shared`;
    const [a, b] = await Promise.all([submit(repo.fx.shas[0]!, { maxParallel: 1 }, command), submit(repo.fx.shas[0]!, { maxParallel: 1 }, command)]);
    const [va, vb] = await Promise.all([waitForEnd<View>(h, a, 180_000), waitForEnd<View>(h, b, 180_000)]);
    expect(va.culprit).toBe(git.culprit);
    expect(vb.culprit).toBe(git.culprit);
    const ran = [...(await runsOf(a)), ...(await runsOf(b))].map((f) => f[0]!);
    expect(new Set(ran).size).toBe(ran.length);
    expect(ran.length).toBe(git.tested.length);
    const shared = [va, vb].flatMap((v) => (v.rounds ?? []).flatMap((r) => r.runs)).filter((r) => r.via === 'shared');
    expect(shared.length).toBeGreaterThan(0);
    expect(va.steps + vb.steps).toBe(git.tested.length);
  }, 240_000);

  it('a result marked invalid leaves the cache: a later bisection tests those commits again', async () => {
    const command = `sh ${probe} # shared`;
    const before = await submit(repo.fx.shas[0]!, { maxParallel: 1 }, command);
    const reusing = await waitForEnd<View>(h, before, 180_000);
    expect(reusing.steps).toBe(0);
    expect(reusing.reused).toBe(git.tested.length);
    const sources = new Set(reusing.verdicts.map((v) => v.reusedFrom));
    for (const source of sources) {
      const res = await h.fetchJson('POST', `/api/v1/bisections/${source!}/annotations`, { kind: 'invalid', reason: 'the lab had a bad disk' });
      expect(res.status).toBe(201);
    }
    const after = await submit(repo.fx.shas[0]!, { maxParallel: 1 }, command);
    const retested = await waitForEnd<View>(h, after, 180_000);
    expect(retested.culprit).toBe(git.culprit);
    expect(retested.reused).toBeUndefined();
    expect(retested.steps).toBe(git.tested.length);
  }, 240_000);

  it('endpoint checks and verification runs go through the shared results too: a second bisection with both tests nothing', async () => {
    // A fingerprint of its own (the command differs): the first one tests its ends and its verification itself.
    const command = `sh ${probe} # checks`;
    const options = { checkEndpoints: true, verify: true, maxParallel: 1 };
    const a = await waitForEnd<View>(h, await submit(repo.fx.shas[0]!, options, command), 180_000);
    expect(a.culprit).toBe(git.culprit);
    // Its verification re-tests the culprit and its parent although its own search has them.
    expect(a.reused).toBeUndefined();
    expect((await runsOf(a.id)).length).toBe(a.steps);
    expect(a.steps).toBeGreaterThanOrEqual(git.tested.length + 4);
    const b = await waitForEnd<View>(h, await submit(repo.fx.shas[0]!, options, command), 180_000);
    expect(b.culprit).toBe(git.culprit);
    expect(b.steps).toBe(0);
    expect(await runsOf(b.id)).toEqual([]);
    const purposes = ['check-bad', 'check-good', 'verify-culprit', 'verify-parent'];
    for (const purpose of purposes) expect(b.verdicts.find((v) => v.purpose === purpose)).toMatchObject({ reusedFrom: a.id });
    // The original run says what it was run for when it was not a bisect step (the culprit's was one in the first bisection).
    expect(b.verdicts.find((v) => v.purpose === 'check-bad')?.reused?.purpose).toBe('check-bad');
    expect(b.verdicts.find((v) => v.purpose === 'verify-culprit')?.reused?.purpose).toBeUndefined();
    expect(await report(b.id)).toMatch(/\[check-bad\] .*\n +reused from /);
  }, 240_000);

  it("a flaky policy's repeated runs of one commit run on several workers at once", async () => {
    const command = `sh ${probe} # repeat`;
    const id = await submit(repo.fx.shas[0]!, { policy: 'repeat', badAfter: 1, goodAfter: 3 }, command);
    const view = await waitForEnd<View>(h, id, 240_000);
    expect(view.status).toBe('found');
    expect(view.culprit).toBe(git.culprit);
    const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l.endsWith(id));
    const byCommit = new Map<string, string[]>();
    for (const l of lines) byCommit.set(l.split(' ')[2]!, [...(byCommit.get(l.split(' ')[2]!) ?? []), l]);
    const most = Math.max(...[...byCommit.values()].map((ls) => maxConcurrent(ls)));
    expect(most).toBeGreaterThanOrEqual(2);
    expect(view.rounds!.some((r) => r.runs.some((run) => (run.run ?? 0) > 0))).toBe(true);
  }, 300_000);
});
