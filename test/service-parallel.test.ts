/**
 * Multisection through the real service (API, BullMQ on Redis, orchestrator
 * and test workers in process): a request with `maxParallel` has that many
 * command tests running at once and ends with `git bisect run`'s culprit,
 * each run tested once.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitBisectRun } from './support/git-fixture.js';
import { startHarness, TOKEN, waitForEnd } from './support/service-harness.js';
import { maxConcurrent } from './support/concurrency.js';
import { startBarrier } from './support/start-barrier.js';
import { probeLog, startParallelService, submitCommand } from './support/parallel-service.js';

interface View { status: string; culprit?: string; steps: number; verdicts: { commit: string }[]; maxParallel?: number; inFlight?: { commit: string; startedAt?: string }[]; cancelled?: string[] }

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 120_000);

describe('kbisect service with maxParallel', () => {
  it('runs 3 command tests of one bisection at once, shows them in flight, and finds git bisect run\'s culprit, each run once', async () => {
    // The probes time themselves against each other in one log outside their worktrees, which the sandbox
    // (rightly) lets no probe write; what is tested here is the scheduling, the sandbox has its own tests
    // (service-sandbox, evil-tree).
    const s = await startParallelService('parallel', { slots: 4, seed: 44, commits: 500, culprit: 321 }, cleanups);
    const { h, history, repo, log } = s;
    const timed = join(repo.scratch, 'timed.sh');
    await writeFile(timed, `#!/bin/sh\necho "start $(date +%s%3N) $KBISECT_COMMIT" >> ${log}\n${startBarrier(log, 3, '$KBISECT_COMMIT')}sleep 0.5\nsh ${repo.script}; code=$?\necho "end $(date +%s%3N) $KBISECT_COMMIT" >> ${log}\nexit $code\n`, { mode: 0o755 });
    const git = await gitBisectRun(repo.fx.dir, { bad: repo.fx.shas[history.tip]!, good: repo.fx.shas[0]!, badSet: repo.badSet, skipSet: repo.skipSet, scratch: repo.scratch });
    const id = await submitCommand(s, `sh ${timed}`, { maxParallel: 3 });
    // The most runs the view ever showed in flight and started.
    let mostStarted = 0;
    const view = await waitForEnd<View>(h, id, 180_000, { everyMs: 100, onView: (v) => void (mostStarted = Math.max(mostStarted, (v.inFlight ?? []).filter((r) => r.startedAt !== undefined).length)) });
    expect(view.status).toBe('found');
    expect(view.culprit).toBe(git.culprit);
    expect(maxConcurrent(await probeLog(s))).toBeGreaterThanOrEqual(3);
    const commits = view.verdicts.map((v) => v.commit);
    expect(new Set(commits).size).toBe(commits.length);
    // The view showed the runs in flight while they ran, and says what was cancelled as moot.
    expect(view.maxParallel).toBe(3);
    expect(mostStarted).toBeGreaterThanOrEqual(2);
    expect(view.inFlight).toBeUndefined();
    for (const c of view.cancelled ?? []) expect(repo.fx.shas).toContain(c);
    const report = await fetch(`${h.url}/api/v1/bisections/${id}/report`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/plain' } });
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
