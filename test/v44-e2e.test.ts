/**
 * The seed's own era, opt-in: KBISECT_V44_TREE points at a local v4.4-era
 * kernel tree (e.g. a snapshot of v4.4.1; nothing of it is in this
 * repository). A history with the 2016 shape is built from it
 * (make-v44-fixture.sh): THP compiled out under BROKEN for four commits, and
 * the regression — khugepaged counting mappings instead of references, so it
 * collapses pages a device has pinned — inside that stretch. Kernels are
 * built with the toolchain table (gcc-11 -fno-pie for < 4.11) and booted on
 * the virtual lab with vfio-pin-check.
 *
 * - default (THP) mode, untestable commits stepped around: the endpoints are
 *   checked, and the answer is the BROKEN stretch plus the commit that
 *   re-enabled THP, the culprit among them, each with its Kconfig reason;
 * - the same with `untestable: force`: the stretch is built with BROKEN
 *   dropped and the bisection names the culprit alone;
 * - fork mode: every kernel before the 5.9-era COW-on-fork work moves pinned
 *   frames after fork, so the good end fails: "it detects an older bug".
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKernelLabHarness, type KernelLabHarness } from './support/kernel-lab-harness.js';
import type { Harness } from './support/service-harness.js';

const tree = process.env.KBISECT_V44_TREE;
const ready = tree !== undefined && existsSync(tree) && ['/usr/bin/ipmi_sim', '/usr/bin/qemu-system-x86_64'].every((p) => existsSync(p));

interface Endpoint { commit: string; end: string; outcome: string; runs: number; failures: number }
interface Verdict { commit: string; verdict: string; reason: string; metrics?: Record<string, number> }
interface View { status: string; error?: string; culprit?: string; candidates?: string[]; endpoints?: Endpoint[]; verdicts: Verdict[] }

describe.skipIf(!ready)('v4.4-era kernels on the virtual lab (KBISECT_V44_TREE)', () => {
  let env: KernelLabHarness;
  let h: Harness;
  let repo: string;
  /** The commits after v4.4-base, oldest first: 3 mm changes, "mark THP broken", parts 1–4, "re-enable THP", 2 mm changes. */
  let range: string[];
  let culprit: string;
  beforeAll(async () => {
    repo = (await execa(resolve(import.meta.dirname, '../packages/kbuild/scripts/make-v44-fixture.sh'), [tree!], { timeout: 900_000 })).stdout.trim();
    range = (await execa('git', ['-C', repo, 'rev-list', '--reverse', 'v4.4-base..v44-bad'])).stdout.split('\n');
    culprit = (await execa('git', ['-C', repo, 'rev-parse', 'v44-culprit^{commit}'])).stdout.trim();
    env = await startKernelLabHarness('v44-e2e');
    h = env.h;
  }, 1_200_000);
  afterAll(async () => {
    await env?.close();
  });

  const bisect = async (mode: 'thp' | 'fork', untestable: 'skip' | 'force'): Promise<View> => {
    const { status, body } = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo: await h.registerTree(repo), good: ['v4.4-base'], bad: 'v44-bad',
      probe: { type: 'kernel', configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], untestable, pool: 'virtual', reproducer: { name: 'vfio-pin-check', args: [`--mode=${mode}`, '--seconds=15'], timeoutSec: 300 } },
    });
    expect(status).toBe(201);
    for (let i = 0; i < 7200; i++) {
      const view = (await h.fetchJson<View>('GET', `/api/v1/bisections/${body.id}`)).body;
      if (['found', 'ambiguous', 'failed', 'cancelled'].includes(view.status)) return view;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error('bisection did not finish');
  };

  /** What each bisection tested, for the closing note's figures (vitest prints it). */
  const summarize = async (label: string, view: View, seconds: number): Promise<void> => {
    const subjects = new Map((await execa('git', ['-C', repo, 'log', '--format=%H %s', 'v44-bad'])).stdout.split('\n').map((l) => [l.slice(0, 40), l.slice(41)] as const));
    const lines = view.verdicts.map((v) => `  ${v.commit.slice(0, 12)} ${(subjects.get(v.commit) ?? '').padEnd(50).slice(0, 50)} ${v.verdict.padEnd(5)} ${v.metrics ? `moved ${v.metrics.mismatches}/${v.metrics.pages}, ${v.metrics.iterations} iterations` : v.reason.slice(0, 60)}`);
    console.log(`${label}: ${view.status}${view.culprit ? ` ${view.culprit.slice(0, 12)}` : ''}${view.candidates ? ` (${view.candidates.length} candidates)` : ''} in ${seconds.toFixed(0)} s\n${lines.join('\n')}`);
  };
  const timed = async (label: string, mode: 'thp' | 'fork', untestable: 'skip' | 'force'): Promise<View> => {
    const t0 = Date.now();
    const view = await bisect(mode, untestable);
    await summarize(label, view, (Date.now() - t0) / 1000);
    return view;
  };

  it('default THP mode: the endpoints hold, and the answer is the BROKEN stretch (culprit inside) plus the commit that re-enabled THP', async () => {
    const view = await timed('thp, untestable skipped', 'thp', 'skip');
    expect(view.error).toBeUndefined();
    expect(view.endpoints?.map((e) => `${e.end}:${e.outcome}`)).toEqual(['bad:as-expected', 'good:as-expected']);
    const stretch = range.slice(3, 9); // "mark THP broken", parts 1–4, "re-enable THP"
    expect(view.status).toBe('ambiguous');
    expect([...(view.candidates ?? [])].sort()).toEqual([...stretch].sort());
    expect(view.candidates).toContain(culprit);
    // The first kernel with THP back shows the bug; the stretch itself is never built.
    expect(view.verdicts.find((v) => v.commit === stretch[5])).toMatchObject({ verdict: 'bad' });
    expect(view.verdicts.find((v) => v.commit === stretch[5])!.metrics!.mismatches).toBeGreaterThan(0);
    for (const v of view.verdicts.filter((x) => stretch.slice(0, 5).includes(x.commit))) expect(v).toMatchObject({ verdict: 'skip', reason: expect.stringMatching(/CONFIG_TRANSPARENT_HUGEPAGE/) });
  }, 7_200_000);

  it('untestable: force builds the stretch with BROKEN dropped and names the culprit alone', async () => {
    const view = await timed('thp, untestable forced', 'thp', 'force');
    expect(view.error).toBeUndefined();
    expect(view.status).toBe('found');
    expect(view.culprit).toBe(culprit);
    const atCulprit = view.verdicts.find((v) => v.commit === culprit)!;
    expect(atCulprit.verdict).toBe('bad');
    expect(atCulprit.metrics!.mismatches).toBeGreaterThan(0);
    // Its parent was built forced and keeps every pinned frame.
    expect(view.verdicts.find((v) => v.commit === range[range.indexOf(culprit) - 1])).toMatchObject({ verdict: 'good', metrics: expect.objectContaining({ mismatches: 0 }) });
  }, 7_200_000);

  it('fork mode: the good end already moves pinned frames, an older bug, and the bisection says so', async () => {
    const view = await timed('fork', 'fork', 'skip');
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/the reproducer fails at the good commit .*: it detects an older bug/);
    expect(view.endpoints?.map((e) => `${e.end}:${e.outcome}`)).toEqual(['bad:as-expected', 'good:unexpected']);
  }, 3_600_000);
});
