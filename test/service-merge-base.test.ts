/**
 * A good commit beside bad in the service (issue 14.4): the orchestrator
 * tests the merge base first, as `git bisect` does and as `kbisect run` does
 * (one driver core), then bisects — the same commits in the same order as
 * `git bisect run`; a bad merge base ends the bisection with git's message.
 * Real Redis, real git, the real API and workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedHistory } from '@kbisect/bisect/testing';
import { gitBisectRun } from './support/git-fixture.js';
import { oracleRepo, startHarness, TOKEN, type Harness, type OracleRepo } from './support/service-harness.js';

interface View { status: string; culprit?: string; error?: string; steps: number; verdicts: { commit: string; source: string; reason: string }[] }

// main 0..11; a side branch 12..16 forked at 4 and never merged.
const history: GeneratedHistory = {
  parents: [[], [0], [1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [4], [12], [13], [14], [15]],
  tip: 11,
};

let h: Harness;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  h = await startHarness('merge-base');
  cleanups.push(() => h.close());
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 120_000);

async function waitFor(id: string, timeoutMs: number): Promise<View> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await h.fetchJson<View>('GET', `/api/v1/bisections/${id}`);
    if (['found', 'ambiguous', 'failed', 'cancelled'].includes(body.status) || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function serviceRun(repo: OracleRepo, good: number): Promise<View & { id: string }> {
  // Without the endpoint check the service tests exactly what `git bisect run` tests.
  const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
    repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[good]!], bad: repo.fx.shas[history.tip]!, probe: { type: 'command', command: `sh ${repo.script}` }, options: { checkEndpoints: false, maxParallel: 1 },
  });
  expect(created.status).toBe(201);
  return { ...(await waitFor(created.body.id, 90_000)), id: created.body.id };
}

async function repoFor(culprit: number, skips: number[]): Promise<OracleRepo> {
  const repo = await oracleRepo(history, culprit, skips);
  cleanups.push(() => repo.cleanup());
  return repo;
}

describe('the service with a good commit on a branch beside bad', () => {
  it.each([
    { name: 'the merge base is good: tested first, then the bisection', culprit: 7, skips: [] },
    { name: 'the merge base is skipped: git warns and bisects anyway', culprit: 8, skips: [4] },
  ])('$name — same tested commits, in the same order, and culprit as git bisect run', async ({ culprit, skips }) => {
    const repo = await repoFor(culprit, skips);
    const git = await gitBisectRun(repo.fx.dir, { bad: repo.fx.shas[history.tip]!, good: repo.fx.shas[16]!, badSet: repo.badSet, skipSet: repo.skipSet, scratch: repo.scratch });
    expect(git.tested[0]).toBe(repo.fx.shas[4]);
    const ours = await serviceRun(repo, 16);
    expect(ours.status, ours.error).toBe('found');
    expect(ours.verdicts.filter((v) => v.source === 'probe').map((v) => v.commit)).toEqual(git.tested);
    expect(ours.verdicts[0]!.reason).toMatch(/^merge base: /);
    expect(ours.culprit).toBe(git.culprit);
    expect(ours.culprit).toBe(repo.fx.shas[culprit]);
    expect(ours.steps).toBe(git.tested.length);
  }, 120_000);

  it('the merge base is bad: ends as git does ("The merge base … is bad"), having tested only the merge base', async () => {
    const repo = await repoFor(2, []);
    const ours = await serviceRun(repo, 16);
    expect(ours.status).toBe('failed');
    expect(ours.culprit).toBeUndefined();
    expect(ours.error).toContain(`The merge base ${repo.fx.shas[4]} is bad.`);
    expect(ours.verdicts.map((v) => v.commit)).toEqual([repo.fx.shas[4]]);
    const report = await fetch(`${h.url}/api/v1/bisections/${ours.id}/report`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/plain' } });
    const text = await report.text();
    expect(report.status, text).toBe(200);
    expect(text).toContain(`The merge base ${repo.fx.shas[4]} is bad.`);
  }, 120_000);

  it('a good that descends from bad is still refused as swapped ends', async () => {
    const repo = await repoFor(2, []);
    const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[9]!], bad: repo.fx.shas[5]!, probe: { type: 'command', command: `sh ${repo.script}` },
    });
    const view = await waitFor(created.body.id, 60_000);
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/did you swap good and bad/);
    expect(view.verdicts).toEqual([]);
  }, 120_000);
});
