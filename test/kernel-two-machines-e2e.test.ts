/**
 * Multisection on real kernels and a real two-machine lab: the demo history
 * of kernel-e2e.test.ts (Debian's linux-source-6.1 with an injected vfio
 * pinning regression and a THP-BROKEN stretch), bisected over the API with
 * `maxParallel: 2` on a pool of two virtual machines — two QEMU guests
 * behind two ipmi_sim BMCs, each with its own UDP port, console port and
 * PXE dir — and two build slots. It must name the same culprit as the k = 1
 * test, with two runs handed out at once and tested on both machines.
 *
 * The endpoint check and verification are left to the k = 1 test (they run
 * one at a time and would only add boots here). Skipped when the kernel
 * source or the lab tools are missing.
 *
 * Runs in `npm test` since it passed on its own (366 s and 254 s with a warm
 * ccache); KBISECT_TWO_MACHINE_TEST=0 skips it where a run must stay short.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualLab } from '@kbisect/lab';
import { startKernelLabHarness, type KernelLabHarness } from './support/kernel-lab-harness.js';
import { waitForEnd, type Harness } from './support/service-harness.js';

const ready = process.env.KBISECT_TWO_MACHINE_TEST !== '0' && existsSync('/usr/src/linux-source-6.1.tar.xz') && ['/usr/bin/ipmi_sim', '/usr/bin/ipmitool', '/usr/bin/qemu-system-x86_64'].every((p) => existsSync(p));
const FIXTURE_SCRIPT = resolve(import.meta.dirname, '../reproducers/scripts/make-vfio-demo-fixture.sh');

interface Verdict { commit: string; verdict: string; source: string; machine?: string; metrics?: Record<string, number> }
interface View { status: string; culprit?: string; error?: string; verdicts: Verdict[] }
interface Event { type: string; at: string; commit?: string; phase?: string; message?: string; machine?: string; source?: string }

/** The bisection's whole event log, as a watcher reads it (SSE from the start; the stream ends with the bisection). */
async function eventLog(h: Harness, id: string): Promise<Event[]> {
  const text = await fetch(`${h.url}/api/v1/bisections/${id}/events`, { headers: { authorization: 'Bearer test-admin-token', 'last-event-id': '0-0' }, signal: AbortSignal.timeout(5000) })
    .then((r) => r.text()).catch(() => '');
  return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Event);
}

describe.skipIf(!ready)('a real kernel bisection on two virtual machines (maxParallel 2)', () => {
  let env: KernelLabHarness;
  let repo: string;
  let culprit: string;
  let lab: VirtualLab;

  beforeAll(async () => {
    repo = (await execa(FIXTURE_SCRIPT, [], { timeout: 900_000 })).stdout.trim();
    culprit = (await execa('git', ['-C', repo, 'rev-parse', 'demo-culprit^{commit}'])).stdout.trim();
    // Two build slots of one make job each: the two runs of a round build side by side on the 2 cores.
    env = await startKernelLabHarness('kernel-two-vms', { machines: 2, env: { KBISECT_BUILD_CONCURRENCY: '2', KBISECT_BUILD_JOBS: '1' } });
    lab = env.lab;
  }, 1_200_000);

  afterAll(async () => {
    await env?.close();
  });

  it('finds the same culprit as one machine does, testing two commits at once on both machines', async () => {
    const { h } = env;
    const started = Date.now();
    const submitted = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo: await h.registerTree(repo), good: ['v6.1-base'], bad: 'demo-bad',
      probe: {
        type: 'kernel', configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], pool: 'virtual',
        reproducer: { name: 'vfio-pin-check', args: ['--mode=fork', '--seconds=8'], timeoutSec: 240 },
      },
      options: { maxParallel: 2, checkEndpoints: false },
    });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id;
    const view = await waitForEnd<View>(h, id, 3_300_000);
    const minutes = (Date.now() - started) / 60_000;
    expect(view.error).toBeUndefined();
    expect(view).toMatchObject({ status: 'found', culprit });

    const ids = lab.machines.map((m) => m.id);
    expect(ids).toHaveLength(2);
    const tested = view.verdicts.filter((v) => v.source === 'probe');
    expect(tested.every((v) => v.machine !== undefined && ids.includes(v.machine))).toBe(true);
    expect(tested.find((v) => v.commit === culprit)).toMatchObject({ verdict: 'bad', metrics: { mode_fork: 1 } });

    const events = await eventLog(h, id);
    // Two runs handed out before the first verdict: the search cut the range in three.
    const firstVerdict = events.findIndex((e) => e.type === 'verdict');
    expect(new Set(events.slice(0, firstVerdict).filter((e) => e.type === 'step-started').map((e) => e.commit)).size).toBe(2);
    // Lab tests from "booting on <machine>" to the verdict: some overlap in time, and both machines served.
    const spans = events.flatMap((e) => {
      const boot = e.type === 'step-progress' && e.phase === 'lab' ? /^booting on (\S+)/.exec(e.message ?? '') : null;
      if (!boot) return [];
      const end = events.find((v) => v.type === 'verdict' && v.commit === e.commit && v.at >= e.at);
      return end ? [{ machine: boot[1]!, from: Date.parse(e.at), to: Date.parse(end.at) }] : [];
    });
    expect(new Set(spans.map((s) => s.machine))).toEqual(new Set(ids));
    const overlapping = spans.some((a, i) => spans.some((b, j) => i < j && a.machine !== b.machine && a.from < b.to && b.from < a.to));
    expect(overlapping).toBe(true);
    console.log(`two-machine bisection: ${tested.length} commits tested, ${spans.length} boots, ${minutes.toFixed(1)} min`);
  }, 3_600_000);
});
