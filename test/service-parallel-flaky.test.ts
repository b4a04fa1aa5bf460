/**
 * A flaky reproducer with `maxParallel` through the real service (API, BullMQ
 * on Redis, orchestrator and test workers in process): a bayes request with
 * maxParallel 3 is accepted, runs several tests at once (repeated runs of one
 * commit among them) and names the true culprit.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maxConcurrent } from './support/concurrency.js';
import { alternatingOracleScript } from './support/flaky-oracle-script.js';
import { probeLog, startParallelService, submitCommand } from './support/parallel-service.js';
import { waitForEnd } from './support/service-harness.js';

interface View { status: string; culprit?: string; error?: string; maxParallel?: number; policy?: string }

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 120_000);

describe('kbisect service: maxParallel with a flaky policy', () => {
  it('policy bayes with maxParallel 3: accepted, three tests at once, the true culprit', async () => {
    // The probes log to one file outside their worktrees, which the sandbox (rightly) forbids: scheduling is what is tested here.
    const s = await startParallelService('parallel-flaky', { slots: 3, seed: 45, commits: 150, culprit: 99 }, cleanups);
    const { h, repo, log } = s;
    const countsDir = join(repo.scratch, 'counts');
    await mkdir(countsDir);
    const script = join(repo.scratch, 'flaky.sh');
    await writeFile(script, alternatingOracleScript({ badFile: join(repo.scratch, 'bad.txt'), countsDir, log }, 0.3, 2), { mode: 0o755 });
    const id = await submitCommand(s, `sh ${script}`, { policy: 'bayes', maxParallel: 3 });
    const view = await waitForEnd<View>(h, id, 240_000);
    expect(view, JSON.stringify(view)).toMatchObject({ status: 'found', culprit: repo.fx.shas[99], maxParallel: 3 });
    const lines = await probeLog(s);
    expect(maxConcurrent(lines), lines.join('\n')).toBeGreaterThanOrEqual(2);
    const commits = new Set(lines.map((l) => l.split(' ')[2]));
    expect([...commits].some((c) => maxConcurrent(lines.filter((l) => l.split(' ')[2] === c)) > 1)).toBe(true);
  }, 300_000);
});
