/**
 * What the maxParallel service tests share: the in-process service with the
 * sandbox off (their probes log starts and ends to one file outside their
 * worktrees, which the sandbox rightly forbids; scheduling is what they
 * test), a generated history with an oracle, a command bisection submitted
 * against it, and the probes' log read back.
 *
 * Inputs: a label, the test worker slots, the history's seed, size and
 * culprit. Output: the harness, the repo and the log path; everything made is
 * pushed onto `cleanups` for the caller's afterAll.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { generateHistory, seededRandom, type GeneratedHistory } from '@kbisect/bisect/testing';
import { oracleRepo, startHarness, type Harness, type OracleRepo } from './service-harness.js';

export interface ParallelService {
  readonly h: Harness;
  readonly history: GeneratedHistory;
  readonly repo: OracleRepo;
  /** The probes' shared log ("start|released|end <ms> <run…>" lines), empty at first. */
  readonly log: string;
}

export async function startParallelService(label: string, opts: { slots: number; seed: number; commits: number; culprit: number }, cleanups: (() => Promise<void>)[]): Promise<ParallelService> {
  // startHarness starts the workers: one set, `slots` test slots (starting them again left a second set running that close() never stopped).
  const h = await startHarness(label, { env: { KBISECT_TEST_CONCURRENCY: String(opts.slots), KBISECT_SANDBOX: 'off' } });
  const history = generateHistory(seededRandom(opts.seed), { commits: opts.commits, forkRate: 0.1, mergeRate: 0.1 });
  const repo = await oracleRepo(history, opts.culprit, []).catch(async (err: unknown) => {
    await h.close();
    throw err;
  });
  // The workers stop first: a moot probe may still be writing to the log in the repo's scratch dir (removing it
  // under the probe failed CI with ENOTEMPTY).
  cleanups.push(async () => {
    await h.close();
    await repo.cleanup();
  });
  const log = join(repo.scratch, 'times.log');
  await writeFile(log, '');
  return { h, history, repo, log };
}

/** Submits a command bisection of the repo's first commit (good) to main (bad), endpoints unchecked; returns its id. */
export async function submitCommand(s: ParallelService, command: string, options: Record<string, unknown>): Promise<string> {
  const created = await s.h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: await s.h.registerTree(s.repo.fx.dir), good: [s.repo.fx.shas[0]!], bad: 'main', probe: { type: 'command', command }, options: { ...options, checkEndpoints: false } });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** The probes' log lines so far. */
export async function probeLog(s: ParallelService): Promise<string[]> {
  return (await readFile(s.log, 'utf8')).split('\n').filter(Boolean);
}
