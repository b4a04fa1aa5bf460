/**
 * Multisection through the real service (API, BullMQ on Redis, orchestrator
 * and test workers in process): a request with `maxParallel` has that many
 * command tests running at once and ends with `git bisect run`'s culprit,
 * each run tested once.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { gitBisectRun } from './support/git-fixture.js';
import { oracleRepo, startHarness, TOKEN, type Harness } from './support/service-harness.js';
import { maxConcurrent } from './support/concurrency.js';

interface View { status: string; culprit?: string; steps: number; verdicts: { commit: string }[]; maxParallel?: number; inFlight?: { commit: string; startedAt?: string }[]; cancelled?: string[] }

/** Polls the view until the answer; also returns the most runs it ever showed in flight and started. */
async function waitFor(h: Harness, id: string, timeoutMs: number): Promise<{ view: View; mostStarted: number }> {
  const deadline = Date.now() + timeoutMs;
  let mostStarted = 0;
  for (;;) {
    const { body } = await h.fetchJson<View>('GET', `/api/v1/bisections/${id}`);
    mostStarted = Math.max(mostStarted, (body.inFlight ?? []).filter((r) => r.startedAt !== undefined).length);
    if (['found', 'ambiguous', 'failed', 'cancelled'].includes(body.status) || Date.now() > deadline) return { view: body, mostStarted };
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 120_000);

describe('kbisect service with maxParallel', () => {
  it('runs 3 command tests of one bisection at once, shows them in flight, and finds git bisect run\'s culprit, each run once', async () => {
    // The probes time themselves against each other in one log outside their worktrees, which the sandbox
    // (rightly) lets no probe write; what is tested here is the scheduling, the sandbox has its own tests
    // (service-sandbox, evil-tree).
    const h = await startHarness('parallel', { env: { KBISECT_TEST_CONCURRENCY: '4', KBISECT_SANDBOX: 'off' } });
    cleanups.push(() => h.close());
    await h.startWorkers();
    const history = generateHistory(seededRandom(44), { commits: 500, forkRate: 0.1, mergeRate: 0.1 });
    const repo = await oracleRepo(history, 321, []);
    cleanups.push(() => repo.cleanup());
    const log = join(repo.scratch, 'times.log');
    await writeFile(log, '');
    const timed = join(repo.scratch, 'timed.sh');
    await writeFile(timed, `#!/bin/sh\necho "start $(date +%s%3N) $KBISECT_COMMIT" >> ${log}\nsleep 0.5\nsh ${repo.script}; code=$?\necho "end $(date +%s%3N) $KBISECT_COMMIT" >> ${log}\nexit $code\n`, { mode: 0o755 });
    const git = await gitBisectRun(repo.fx.dir, { bad: repo.fx.shas[history.tip]!, good: repo.fx.shas[0]!, badSet: repo.badSet, skipSet: repo.skipSet, scratch: repo.scratch });
    const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[0]!], bad: 'main', probe: { type: 'command', command: `sh ${timed}` }, options: { maxParallel: 3, checkEndpoints: false } });
    expect(created.status).toBe(201);
    const { view, mostStarted } = await waitFor(h, created.body.id, 180_000);
    expect(view.status).toBe('found');
    expect(view.culprit).toBe(git.culprit);
    const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    expect(maxConcurrent(lines)).toBeGreaterThanOrEqual(3);
    const commits = view.verdicts.map((v) => v.commit);
    expect(new Set(commits).size).toBe(commits.length);
    // The view showed the runs in flight while they ran, and says what was cancelled as moot.
    expect(view.maxParallel).toBe(3);
    expect(mostStarted).toBeGreaterThanOrEqual(2);
    expect(view.inFlight).toBeUndefined();
    for (const c of view.cancelled ?? []) expect(repo.fx.shas).toContain(c);
    const report = await fetch(`${h.url}/api/v1/bisections/${created.body.id}/report`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/plain' } });
    expect(await report.text()).toMatch(/commits tested\):\n {2}up to 3 tests at once\n/);
  }, 240_000);

  it('refuses maxParallel above 64 naming the field', async () => {
    const h = await startHarness('parallel-bad');
    cleanups.push(() => h.close());
    const res = await h.fetchJson<{ message?: string }>('POST', '/api/v1/bisections', { repo: '/tmp', good: ['a'.repeat(40)], bad: 'main', probe: { type: 'command', command: 'true' }, options: { maxParallel: 65 } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('maxParallel');
  }, 60_000);
});
