/**
 * What a worker does with its sandbox setting, end to end (real API, Redis,
 * git, bwrap): a worker whose sandbox is unavailable refuses a command
 * probe, and the bisection fails saying why instead of running the command
 * unconfined; a worker with KBISECT_SANDBOX=off runs it and every test's
 * evidence starts by saying it ran unconfined.
 */
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openSandbox, SANDBOX_OFF_NOTICE, unavailableSandbox, type OpenedSandbox } from '@kbisect/sandbox';
import { gitOpener, startWorkers, workerConfigFromEnv } from '@kbisect/worker';
import { oracleRepo, startHarness, type Harness } from './support/service-harness.js';

interface View { status: string; error?: string; culprit?: string; verdicts: { evidence?: string }[] }

async function settle(h: Harness, id: string): Promise<View> {
  for (const end = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 250))) {
    const { body } = await h.fetchJson<View>('GET', `/api/v1/bisections/${id}`);
    if (['found', 'ambiguous', 'failed', 'cancelled'].includes(body.status) || Date.now() > end) return body;
  }
}

/**
 * A sandbox that cannot run. As root, the real start-up probe of a sandbox
 * user that does not exist; a worker that is not root looks no user up (it
 * maps its own uid), so there the same refusal is injected: what is tested
 * here is what the worker does with it.
 */
async function unavailable(): Promise<OpenedSandbox> {
  const user = 'kbisect-no-such-sandbox-user';
  if (process.getuid?.() === 0) return openSandbox('on', user);
  const reason = `sandbox user: no system user '${user}' (injected: not root)`;
  return { status: 'unavailable', sandbox: unavailableSandbox(reason), reason };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 60_000);

describe('a worker and its sandbox setting', () => {
  const history = { parents: Array.from({ length: 12 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 11 };

  it('unavailable: a command probe is refused and the bisection fails with the reason', async () => {
    const h = await startHarness('sandbox-unavailable', { inProcessWorkers: false });
    cleanups.push(() => h.close());
    const repo = await oracleRepo(history, 5, []);
    cleanups.push(() => repo.cleanup());
    const opened = await unavailable();
    expect(opened.status).toBe('unavailable');
    h.workers = await startWorkers(workerConfigFromEnv(h.env, ['orchestrator', 'test'], { cacheDir: h.cacheDir }), { openRepo: gitOpener(h.cacheDir), logger: pino({ level: 'silent' }), sandbox: opened });
    const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[0]!], bad: 'main', probe: { type: 'command', command: `sh ${repo.script}` } });
    const view = await settle(h, created.body.id);
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/the build\/test sandbox is unavailable on this worker \(sandbox user: no system user 'kbisect-no-such-sandbox-user'.*\); it refuses untrusted work/);
    expect(view.verdicts).toEqual([]);
  }, 90_000);

  it('off: the probe runs, and each test\'s evidence says it ran unconfined', async () => {
    const h = await startHarness('sandbox-off', { env: { KBISECT_SANDBOX: 'off' } });
    cleanups.push(() => h.close());
    const repo = await oracleRepo(history, 5, []);
    cleanups.push(() => repo.cleanup());
    const created = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[0]!], bad: 'main', probe: { type: 'command', command: `sh ${repo.script}` } });
    const view = await settle(h, created.body.id);
    expect(view).toMatchObject({ status: 'found', culprit: repo.fx.shas[5] });
    expect(view.verdicts.length).toBeGreaterThan(0);
    for (const v of view.verdicts) {
      const res = await fetch(`${h.url}/api/v1/bisections/${created.body.id}/evidence/${v.evidence!}`, { headers: { authorization: 'Bearer test-admin-token' } });
      expect((await res.text()).startsWith(SANDBOX_OFF_NOTICE)).toBe(true);
    }
  }, 90_000);
});
