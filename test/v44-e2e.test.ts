/**
 * The seed's own era, opt-in: KBISECT_V44_TREE points at a local v4.4-era
 * kernel tree (e.g. a snapshot of v4.4.1; nothing of it is in this
 * repository). A history with the 2016 THP-under-BROKEN stretch is built from
 * it; kernels are built with the toolchain table (gcc-11 -fno-pie for < 4.11)
 * and booted on the virtual lab with vfio-pin-check.
 *
 * - default (THP) mode: the v4.4 ends keep every pinned frame, so the bad end
 *   "does not reproduce" and the bisection stops before its first step;
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
interface View { status: string; error?: string; endpoints?: Endpoint[]; verdicts: { commit: string; verdict: string; reason: string; metrics?: Record<string, number> }[] }

describe.skipIf(!ready)('v4.4-era kernels on the virtual lab (KBISECT_V44_TREE)', () => {
  let env: KernelLabHarness;
  let h: Harness;
  let repo: string;
  beforeAll(async () => {
    repo = (await execa(resolve(import.meta.dirname, '../packages/kbuild/scripts/make-v44-fixture.sh'), [tree!], { timeout: 900_000 })).stdout.trim();
    env = await startKernelLabHarness('v44-e2e');
    h = env.h;
  }, 1_200_000);
  afterAll(async () => {
    await env?.close();
  });

  const bisect = async (mode: 'thp' | 'fork'): Promise<View> => {
    const { body } = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo, good: ['v4.4-base'], bad: 'v44-bad',
      probe: { type: 'kernel', configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], pool: 'virtual', reproducer: { name: 'vfio-pin-check', args: [`--mode=${mode}`, '--seconds=15'], timeoutSec: 300 } },
    });
    for (let i = 0; i < 3600; i++) {
      const view = (await h.fetchJson<View>('GET', `/api/v1/bisections/${body.id}`)).body;
      if (['found', 'ambiguous', 'failed', 'cancelled'].includes(view.status)) return view;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error('bisection did not finish');
  };

  it('default THP mode: v4.4 builds, boots, keeps every pinned frame; the bad end does not reproduce, so it stops before bisecting', async () => {
    const view = await bisect('thp');
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/the bad commit .* does not reproduce/);
    expect(view.endpoints).toEqual([expect.objectContaining({ end: 'bad', outcome: 'unexpected', failures: 0 })]);
    const v = view.verdicts.find((x) => x.commit === view.endpoints![0]!.commit)!;
    expect(v).toMatchObject({ verdict: 'good', metrics: { mismatches: 0, mode_fork: 0 } });
    expect(v.metrics!.iterations).toBeGreaterThan(0);
  }, 3_600_000);

  it('fork mode: the good end already moves pinned frames, an older bug, and the bisection says so', async () => {
    const view = await bisect('fork');
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/the reproducer fails at the good commit .*: it detects an older bug/);
    expect(view.endpoints?.map((e) => `${e.end}:${e.outcome}`)).toEqual(['bad:as-expected', 'good:unexpected']);
  }, 3_600_000);
});
