/**
 * Exit 126/127 in the service (issue 14.2): the test worker re-runs a first
 * 126/127 at a good commit as `git bisect run` does; a command that cannot
 * run there either fails the bisection with the reason, never a culprit; a
 * command whose 127 means "bad" still finds the culprit. Real Redis, real git.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startHarness, oracleRepo, waitForEnd, type Harness } from './support/service-harness.js';

interface View { status: string; culprit?: string; error?: string }

const waitFor = (h: Harness, id: string, timeoutMs: number): Promise<View> => waitForEnd<View>(h, id, timeoutMs);

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 120_000);

describe('the service and a test command that cannot run', () => {
  it('fails with "could not run" for a missing command, and finds the culprit when 127 means bad', async () => {
    const h = await startHarness('cannot-run');
    cleanups.push(() => h.close());
    const history = { parents: Array.from({ length: 30 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 29 };
    const repo = await oracleRepo(history, 11, []);
    cleanups.push(() => repo.cleanup());
    await h.registerTree(repo.fx.dir);
    const submit = (command: string) => h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: repo.fx.dir, good: [repo.fx.shas[0]!], bad: 'main', probe: { type: 'command', command } });

    const missing = await waitFor(h, (await submit('./no-such-reproducer.sh')).body.id, 60_000);
    expect(missing.status).toBe('failed');
    expect(missing.culprit).toBeUndefined();
    expect(missing.error).toMatch(/test command could not run: it exited 127 \(command not found\) at [0-9a-f]{12} and again at the good commit/);

    const meant = await waitFor(h, (await submit(`sh ${repo.script}; [ $? -eq 1 ] && exit 127; exit 0`)).body.id, 60_000);
    expect(meant).toMatchObject({ status: 'found', culprit: repo.fx.shas[11] });
  }, 120_000);
});
