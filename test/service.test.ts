/**
 * The service against a real Redis and real git: many bisections at once over
 * HTTP, a worker killed with SIGKILL mid-run, and an SSE client that resumes.
 */
import { resolve } from 'node:path';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { hashToken } from '@kbisect/service';
import { gitBisectRun, writeGitHistory, type GitBisectOutcome } from './support/git-fixture.js';
import { REDIS_URL } from './support/redis-namespace.js';
import { oracleRepo, startHarness, TOKEN, type Harness, type OracleRepo } from './support/service-harness.js';

interface View { status: string; culprit?: string; candidates?: string[]; error?: string; steps: number }

async function waitAll(h: Harness, ids: string[], timeoutMs: number): Promise<Map<string, View>> {
  const done = new Map<string, View>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < ids.length && Date.now() < deadline) {
    for (const id of ids) {
      if (done.has(id)) continue;
      const { body } = await h.fetchJson<View>('GET', `/api/v1/bisections/${id}`);
      if (['found', 'ambiguous', 'failed', 'cancelled'].includes(body.status)) done.set(id, body);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return done;
}

/** The part of an answer git also gives; a bisection still running (or timed out) shows as its status and error. */
function answerOf(view: View | undefined): { status: string; culprit?: string; candidates: string[]; error?: string } {
  if (!view) return { status: 'not finished in time', candidates: [] };
  return { status: view.status, ...(view.culprit ? { culprit: view.culprit } : {}), candidates: [...(view.candidates ?? [])].sort(), ...(view.error ? { error: view.error } : {}) };
}

const gitAnswer = (git: GitBisectOutcome) => ({ status: git.status, ...(git.culprit ? { culprit: git.culprit } : {}), candidates: [...(git.candidates ?? [])].sort() });

async function verdictCounts(h: Harness, id: string): Promise<number[]> {
  const redis = new Redis(REDIS_URL);
  try {
    const entries = await redis.xrange(`${h.namespace}:b:${id}:log`, '-', '+');
    const counts = new Map<string, number>();
    for (const [, fields] of entries) {
      const e = JSON.parse(fields[1]!) as { type: string; commit?: string };
      if (e.type === 'verdict') counts.set(e.commit!, (counts.get(e.commit!) ?? 0) + 1);
    }
    return [...counts.values()];
  } finally {
    redis.disconnect();
  }
}

async function prepare(count: number, seed: number): Promise<{ repos: OracleRepo[]; git: GitBisectOutcome[] }> {
  const random = seededRandom(seed);
  const repos: OracleRepo[] = [];
  const git: GitBisectOutcome[] = [];
  for (let k = 0; k < count; k++) {
    const history = generateHistory(random, { commits: 60 + Math.floor(random() * 120) });
    const culprit = 1 + Math.floor(random() * (history.parents.length - 1));
    const skips = k % 3 === 0 ? [culprit - 1, culprit + 1].filter((i) => i > 0 && i < history.tip) : [];
    const repo = await oracleRepo(history, culprit, skips);
    repos.push(repo);
    git.push(await gitBisectRun(repo.fx.dir, { bad: repo.fx.shas[history.tip]!, good: repo.fx.shas[0]!, badSet: repo.badSet, skipSet: repo.skipSet, scratch: repo.scratch }));
  }
  return { repos, git };
}

/** Registers the repository as a tree (the admin's step), then submits by its path. */
const submit = async (h: Harness, repo: OracleRepo, command: string) => {
  await h.registerTree(repo.fx.dir);
  // One test at a time: these compare with git's own path, skips included (multisection may leave another honest set).
  return h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: repo.fx.dir, good: [repo.fx.shas[0]!], bad: 'main', probe: { type: 'command', command }, options: { maxParallel: 1 } });
};

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 180_000);

describe('kbisect service', () => {
  it('runs 20 bisections submitted at once to the culprits git bisect run finds', async () => {
    const h = await startHarness('many');
    cleanups.push(() => h.close());
    const { repos, git } = await prepare(20, 7);
    for (const r of repos) cleanups.push(() => r.cleanup());
    const created = await Promise.all(repos.map((r) => submit(h, r, `sh ${r.script}`)));
    expect(created.every((c) => c.status === 201)).toBe(true);
    const ids = created.map((c) => c.body.id);
    const views = await waitAll(h, ids, 240_000);
    ids.forEach((id, k) => expect(answerOf(views.get(id)), `bisection ${k}`).toEqual(gitAnswer(git[k]!)));
    for (const id of ids) expect(Math.max(0, ...(await verdictCounts(h, id)))).toBeLessThanOrEqual(1);
  }, 300_000);

  it('survives the API and a worker killed with SIGKILL mid-run: same results, nothing lost, no verdict twice', async () => {
    const h = await startHarness('kill', { inProcessWorkers: false, lockDurationMs: 2000 });
    cleanups.push(() => h.close());
    const { repos, git } = await prepare(4, 11);
    for (const r of repos) cleanups.push(() => r.cleanup());
    const port = 20000 + Math.floor(Math.random() * 20000);
    const env = { ...process.env, ...h.env, KBISECT_PORT: String(port), KBISECT_TOKENS: `admin:tester:${hashToken(TOKEN)}:command`, KBISECT_ALLOW_COMMAND_PROBE: '1', KBISECT_LOG_LEVEL: 'warn' };
    const spawn = (app: 'api' | 'worker') =>
      execa('node', [resolve(import.meta.dirname, `../apps/${app}/dist/main.js`), ...(app === 'worker' ? ['orchestrator', 'test'] : [])], { env, reject: false, stdio: 'ignore' });
    const remote: Harness = { ...h, fetchJson: async <T>(method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (await res.json()) as T };
    } };
    const waitUp = async (): Promise<void> => {
      for (let i = 0; i < 100; i++) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
        } catch {
          // not yet listening
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('API process did not come up');
    };
    let api = spawn('api');
    let worker = spawn('worker');
    await waitUp();
    const ids = (await Promise.all(repos.map((r) => submit(remote, r, `sleep 0.3; sh ${r.script}`)))).map((c) => c.body.id);
    // Let them get into the middle of things, then kill both without warning.
    const redis = new Redis(REDIS_URL);
    for (let i = 0; i < 200; i++) {
      if ((await redis.xlen(`${h.namespace}:b:${ids[0]}:log`)) >= 5) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    api.kill('SIGKILL');
    worker.kill('SIGKILL');
    await Promise.all([api, worker]);
    const unfinished = (await Promise.all(ids.map((id) => redis.hget(`${h.namespace}:b:${id}:meta`, 'status')))).filter((st) => !['found', 'ambiguous'].includes(st ?? ''));
    redis.disconnect();
    expect(unfinished.length).toBeGreaterThan(0);
    api = spawn('api');
    worker = spawn('worker');
    try {
      await waitUp();
      const views = await waitAll(remote, ids, 180_000);
      ids.forEach((id, k) => expect(answerOf(views.get(id)), `bisection ${k}`).toEqual(gitAnswer(git[k]!)));
      for (const id of ids) expect(Math.max(0, ...(await verdictCounts(h, id)))).toBeLessThanOrEqual(1);
    } finally {
      api.kill('SIGTERM');
      worker.kill('SIGTERM');
      await Promise.all([api, worker]);
    }
  }, 300_000);

  it('lets an SSE client disconnect and resume with Last-Event-ID without missing an event', async () => {
    const h = await startHarness('sse');
    cleanups.push(() => h.close());
    const { repos } = await prepare(1, 5);
    cleanups.push(() => repos[0]!.cleanup());
    const { body } = await submit(h, repos[0]!, `sleep 0.2; sh ${repos[0]!.script}`);
    const seen: string[] = [];
    const read = async (lastId: string | undefined, stopAfter: number): Promise<boolean> => {
      const controller = new AbortController();
      const res = await fetch(`${h.url}/api/v1/bisections/${body.id}/events`, { headers: { authorization: `Bearer ${TOKEN}`, ...(lastId ? { 'last-event-id': lastId } : {}) }, signal: controller.signal });
      const decoder = new TextDecoder();
      let buffer = '';
      let count = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const id = /^id: (.+)$/m.exec(block)?.[1];
            if (!id) continue;
            seen.push(id);
            if (/^event: finished$/m.test(block)) return true;
            if (++count >= stopAfter) {
              controller.abort();
              return false;
            }
          }
        }
      } catch {
        return false;
      }
      return false;
    };
    let finished = await read(undefined, 3);
    for (let i = 0; i < 100 && !finished; i++) finished = await read(seen.at(-1), 2);
    expect(finished).toBe(true);
    const redis = new Redis(REDIS_URL);
    const all = (await redis.xrange(`${h.namespace}:b:${body.id}:log`, '-', '+')).map(([id]) => id);
    redis.disconnect();
    expect(seen).toEqual(all);
  }, 120_000);

  it('cancels a running bisection and stops the command under test', async () => {
    const h = await startHarness('cancel');
    cleanups.push(() => h.close());
    const { repos } = await prepare(1, 21);
    cleanups.push(() => repos[0]!.cleanup());
    // A duration nobody else uses names our processes for pgrep; the second command keeps sh from exec'ing sleep.
    const marker = `sleep 59.${Date.now() % 100000}`;
    const { body } = await submit(h, repos[0]!, `${marker}; echo done`);
    const redis = new Redis(REDIS_URL);
    try {
      for (let i = 0; i < 100; i++) {
        const log = await redis.xrange(`${h.namespace}:b:${body.id}:log`, '-', '+');
        if (log.some(([, f]) => f[1]!.includes('"step-started"'))) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      redis.disconnect();
    }
    let running = '';
    for (let i = 0; i < 100 && running === ''; i++) {
      running = (await execa('pgrep', ['-f', marker], { reject: false })).stdout.trim();
      if (running === '') await new Promise((r) => setTimeout(r, 100));
    }
    expect(running).not.toBe('');
    const t0 = Date.now();
    expect((await h.fetchJson('POST', `/api/v1/bisections/${body.id}/cancel`, { reason: 'wrong range' })).status).toBe(202);
    const views = await waitAll(h, [body.id], 20_000);
    expect(views.get(body.id)?.status).toBe('cancelled');
    for (let i = 0; i < 50 && (await execa('pgrep', ['-f', marker], { reject: false })).stdout.trim() !== ''; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await execa('pgrep', ['-f', marker], { reject: false })).stdout.trim()).toBe('');
    expect(Date.now() - t0).toBeLessThan(20_000);
  }, 60_000);

  it('takes a maintainer\'s verdict at any time and refuses one that contradicts the history', async () => {
    const h = await startHarness('manual');
    cleanups.push(() => h.close());
    const random = seededRandom(31);
    const history = generateHistory(random, { commits: 80 });
    const repo = await oracleRepo(history, 50, []);
    cleanups.push(() => repo.cleanup());
    // A probe that never answers: only the maintainer decides.
    const { body } = await submit(h, repo, 'sleep 60');
    for (let i = 0; i < 100; i++) {
      const v = await h.fetchJson<{ status: string }>('GET', `/api/v1/bisections/${body.id}`);
      if (v.body.status === 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const bad = await h.fetchJson('POST', `/api/v1/bisections/${body.id}/verdicts`, { commit: repo.fx.shas[50], verdict: 'bad', reason: 'reproduced by hand' });
    expect(bad.status).toBe(202);
    const contradicting = await h.fetchJson<{ error: { code: string; message: string } }>('POST', `/api/v1/bisections/${body.id}/verdicts`, { commit: repo.fx.shas[60], verdict: 'good' });
    expect(contradicting.status).toBe(409);
    expect(contradicting.body.error.code).toBe('KBISECT_ERR_VERDICT_REJECTED');
    const view = await h.fetchJson<{ verdicts: { commit: string; source: string; reason: string }[] }>('GET', `/api/v1/bisections/${body.id}`);
    expect(view.body.verdicts).toContainEqual(expect.objectContaining({ commit: repo.fx.shas[50], source: 'manual', reason: 'reproduced by hand' }));
    await h.fetchJson('POST', `/api/v1/bisections/${body.id}/cancel`, {});
  }, 60_000);

  it('runs a Bayesian bisection with verification over the API for a reproducer that fails every other run', async () => {
    const h = await startHarness('bayes');
    cleanups.push(() => h.close());
    const history = generateHistory(seededRandom(41), { commits: 60 });
    const repo = await oracleRepo(history, 37, []);
    cleanups.push(() => repo.cleanup());
    const counter = `${repo.scratch}/counter`;
    const command = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n + 1)) > ${counter}; if grep -qx "$(git rev-parse HEAD)" ${repo.scratch}/bad.txt && [ $((n % 2)) -eq 0 ]; then exit 1; fi; exit 0`;
    const { status, body } = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[0]!], bad: 'main', probe: { type: 'command', command }, options: { policy: 'bayes', confidence: 0.99, verify: true },
    });
    expect(status).toBe(201);
    const views = await waitAll(h, [body.id], 240_000);
    expect(views.get(body.id)).toMatchObject({ status: 'found', culprit: repo.fx.shas[37] });
    const report = await fetch(`${h.url}/api/v1/bisections/${body.id}/report`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await report.text()).toContain(`The first bad commit is ${repo.fx.shas[37]}`);
    for (const id of [body.id]) expect(Math.max(0, ...(await verdictCounts(h, id)))).toBeGreaterThan(1);
  }, 300_000);

  it('verifies a culprit by revert over the API: the bad end with it reverted passes, and that run\'s evidence stays with the verification', async () => {
    const h = await startHarness('revert');
    cleanups.push(() => h.close());
    const history = generateHistory(seededRandom(5), { commits: 40 });
    // One file per commit: the bug is "file-23.txt exists", so reverting commit 23 really removes it.
    const fx = await writeGitHistory(history, { files: 1000 });
    cleanups.push(() => fx.cleanup());
    const { body } = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo: await h.registerTree(fx.dir), good: [fx.shas[0]!], bad: 'main', probe: { type: 'command', command: 'test ! -e file-23.txt' }, options: { verify: true, verifyRevert: true },
    });
    type RevertView = View & { verdicts: { commit: string; verdict: string; evidence?: string }[]; verification?: Record<string, Record<string, unknown>> };
    const view = (await waitAll(h, [body.id], 120_000)).get(body.id) as RevertView | undefined;
    expect(view).toMatchObject({ status: 'found', culprit: fx.shas[23] });
    expect(view!.verification).toMatchObject({
      culprit: { outcome: 'confirmed', runs: 1 }, parents: { outcome: 'confirmed' },
      revert: { outcome: 'fixed', runs: 1, failures: 0, baselineRuns: 1, baselineFailures: 1, evidence: expect.stringMatching(/^test-[0-9a-f]{40}-verify-revert-0/) },
    });
    // The bad end's verdict keeps the evidence of the bad end itself, not of the reverted tree.
    const badEnd = view!.verdicts.find((v) => v.commit === fx.shas[history.tip]);
    expect(badEnd?.verdict).toBe('bad');
    expect(badEnd?.evidence).not.toMatch(/verify-revert/);
    const report = await fetch(`${h.url}/api/v1/bisections/${body.id}/report`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.text());
    expect(report).toContain('the bad end with the culprit reverted: fixed (0 of 1 run fail; 1 of 1 without the revert');
  }, 180_000);

  it('steps around commits the Kconfig probe marks untestable when the request names required symbols', async () => {
    const h = await startHarness('kconfig');
    cleanups.push(() => h.close());
    const { createDemoRepository } = await import('../apps/cli/src/demo-repository.js');
    const demo = await createDemoRepository(`${h.cacheDir}/thp-demo`);
    const { body } = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo: await h.registerTree(demo.dir), good: [demo.good], bad: demo.bad, probe: { type: 'command', command: demo.testCommand }, options: { requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], maxParallel: 1 },
    });
    const view = (await waitAll(h, [body.id], 120_000)).get(body.id) as View & { verdicts: { reason: string; source: string }[] };
    expect(view.status).toBe('ambiguous');
    expect(view.candidates).toContain(demo.culprit);
    expect(view.verdicts.filter((v) => v.source === 'untestable')[0]?.reason).toBe('untestable: CONFIG_TRANSPARENT_HUGEPAGE depends on BROKEN at this commit (mm/Kconfig)');
    // The two endpoint checks, then only a few bisect steps (one at a time: more at once would test more commits in fewer rounds).
    expect(view.verdicts.filter((v) => v.source === 'probe').length).toBeLessThan(7);
    expect((view as View & { endpoints?: unknown[] }).endpoints).toHaveLength(2);
  }, 180_000);
});
