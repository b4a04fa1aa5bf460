/**
 * untestable 'narrow' through the service (real Redis, real git, API +
 * orchestrator + command-test workers): one submission gives the honest
 * stretch and, beside it, the forced culprit.
 */
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { startHarness, TOKEN, type Harness } from './support/service-harness.js';

interface View {
  status: string;
  candidates?: string[];
  steps: number;
  error?: string;
  commits?: unknown[];
  narrowed?: { status: string; culprit?: string; forced: string[]; steps: number };
  verdicts: { commit: string; verdict: string; reason: string; source: string; purpose?: string; evidence?: string }[];
}

let h: Harness | undefined;
afterAll(async () => {
  await h?.close();
}, 60_000);

const get = (path: string): Promise<string> => fetch(`${h!.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.text());

describe("kbisect service, untestable 'narrow'", () => {
  it('answers with the honest stretch and the forced culprit in one submission, building only stretch commits forced', async () => {
    h = await startHarness('narrow');
    const { createDemoRepository } = await import('../apps/cli/src/demo-repository.js');
    const demo = await createDemoRepository(`${h.cacheDir}/thp-demo`);
    const all = (await execa('git', ['-C', demo.dir, 'rev-list', demo.bad, `^${demo.good}`])).stdout.split('\n');
    const stretch: string[] = [];
    for (const sha of all) if (/depends on .*BROKEN/.test((await execa('git', ['-C', demo.dir, 'show', `${sha}:mm/Kconfig`])).stdout)) stretch.push(sha);

    const { status, body } = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo: await h.registerTree(demo.dir), good: [demo.good], bad: demo.bad,
      probe: { type: 'command', command: demo.testCommand, untestable: 'narrow' },
      // One test at a time: the honest ambiguous set is compared with the one git's path leaves.
      options: { requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], maxParallel: 1 },
    });
    expect(status).toBe(201);
    let view: View | undefined;
    for (let i = 0; i < 600; i++) {
      view = (await h.fetchJson<View>('GET', `/api/v1/bisections/${body.id}`)).body;
      // The state is final before the orchestrator writes 'finished' (with the commits' subjects); wait for both.
      if (['found', 'ambiguous', 'failed', 'cancelled'].includes(view.status) && view.commits) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(view?.error).toBeUndefined();
    // Honest: git's answer, the stretch plus "mm: re-enable THP"; no stretch commit tested honestly.
    expect(view!.status).toBe('ambiguous');
    expect([...view!.candidates!].sort()).toEqual([...stretch, demo.reenable].sort());
    const honest = view!.verdicts.filter((v) => v.source === 'probe' && v.purpose === undefined);
    expect(honest.some((v) => stretch.includes(v.commit))).toBe(false);
    // Forced: the injected culprit, from forced runs of stretch commits only, each with its evidence.
    expect(view!.narrowed).toMatchObject({ status: 'found', culprit: demo.culprit, forced: ['CONFIG_TRANSPARENT_HUGEPAGE'] });
    const forced = view!.verdicts.filter((v) => v.purpose === 'narrow');
    expect(forced.length).toBe(view!.narrowed!.steps);
    expect(forced.length).toBeGreaterThan(0);
    expect(forced.length).toBeLessThanOrEqual(4);
    expect(forced.every((v) => stretch.includes(v.commit))).toBe(true);
    expect(forced.every((v) => v.reason.startsWith('forced (CONFIG_TRANSPARENT_HUGEPAGE in mm/Kconfig without BROKEN): exit code') && v.evidence?.includes('-narrow-0'))).toBe(true);

    const report = await get(`/api/v1/bisections/${body.id}/report`);
    expect(report).toContain('the first bad commit could be any of:');
    expect(report).toContain(`first bad commit (forced): ${demo.culprit.slice(0, 12)} ("mm, thp: adjust conditions when we can reuse the page on WP fault")`);
    expect(report).toMatch(/\[narrow, forced\] forced \(/);
    const log = await get(`/api/v1/bisections/${body.id}/log`);
    expect(log).toContain(`# forced first bad commit: [${demo.culprit}]`);
    expect(log.split('\n').filter((l) => l.startsWith('git bisect ') && forced.some((f) => l.endsWith(f.commit))).every((l) => l.startsWith('git bisect skip'))).toBe(true);
    const events = await fetch(`${h.url}/api/v1/bisections/${body.id}/events`, { headers: { authorization: `Bearer ${TOKEN}`, 'last-event-id': '0-0' }, signal: AbortSignal.timeout(5000) }).then((r) => r.text()).catch((e: unknown) => String(e));
    expect(events).toMatch(/"type":"finished".*"narrowed":\{"status":"found","culprit":"[0-9a-f]{40}"/);
  }, 180_000);
});
