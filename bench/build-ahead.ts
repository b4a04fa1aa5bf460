/**
 * bench/build-ahead — a kernel step with and without builds ahead, on the
 * virtual lab, both in one run.
 *
 * Input: none. Builds (once) the demo history of kernel-e2e.test.ts with
 *   reproducers/scripts/make-vfio-demo-fixture.sh, then bisects it twice
 *   through the real service (API, BullMQ workers, one build slot, one
 *   virtual machine, the vfio-pin-check reproducer, no endpoint check):
 *   first with KBISECT_BUILD_AHEAD=off (the baseline), then on, the workers
 *   restarted in between with the artifact cache emptied (the build slot
 *   stays, so both runs build incrementally from step to step). ccache is
 *   shared (CCACHE_DIR, default ~/.cache/kbisect/ccache): warm it first (run
 *   test/kernel-e2e.test.ts) or the first build measures a cold compiler cache.
 * Output (stdout): per run, for every verdict the time until the next test
 *   started (the lab leased a machine: "booting on …"), the median, how
 *   many kernels were built ahead, and the ratio of the medians; the load
 *   average beside them (the machine is shared).
 */
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { startKernelLabHarness } from '../test/support/kernel-lab-harness.js';
import { waitForEnd, type Harness } from '../test/support/service-harness.js';
import { median } from './median.js';

interface Event { type: string; at: string; commit?: string; phase?: string; message?: string; source?: string }

const repo = (await execa(resolve(import.meta.dirname, '../reproducers/scripts/make-vfio-demo-fixture.sh'), [], { timeout: 900_000 })).stdout.trim();
const culprit = (await execa('git', ['-C', repo, 'rev-parse', 'demo-culprit^{commit}'])).stdout.trim();

async function eventLog(h: Harness, id: string): Promise<Event[]> {
  const text = await fetch(`${h.url}/api/v1/bisections/${id}/events`, { headers: { authorization: 'Bearer test-admin-token', 'last-event-id': '0-0' }, signal: AbortSignal.timeout(5000) })
    .then((r) => r.text()).catch(() => '');
  return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Event);
}

interface Run { gaps: number[]; builtAhead: number; steps: number; minutes: number }

async function bisect(h: Harness, mode: 'on' | 'off'): Promise<Run> {
  // The same workers' build slot, a fresh artifact cache: every kernel of this run is built (or built ahead) here.
  await h.stopWorkers();
  await rm(join(h.cacheDir, 'artifacts'), { recursive: true, force: true });
  h.env.KBISECT_BUILD_AHEAD = mode;
  await h.startWorkers();
  const started = Date.now();
  const submitted = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
    repo: tree, good: ['v6.1-base'], bad: 'demo-bad',
    probe: {
      type: 'kernel', configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], pool: 'virtual',
      reproducer: { name: 'vfio-pin-check', args: ['--mode=fork', '--seconds=8'], timeoutSec: 240 },
    },
    // reuse: false — the second run would otherwise take every verdict of the first from the shared cache.
    options: { checkEndpoints: false, reuse: false },
  });
  if (submitted.status !== 201) throw new Error(`submit answered ${submitted.status}`);
  const view = await waitForEnd<{ status: string; culprit?: string; error?: string }>(h, submitted.body.id, 3_600_000);
  if (view.status !== 'found' || view.culprit !== culprit) throw new Error(`build ahead ${mode}: ${view.status} ${view.culprit ?? ''} ${view.error ?? ''}`);
  const events = await eventLog(h, submitted.body.id);
  const verdicts = events.filter((e) => e.type === 'verdict' && e.source === 'probe');
  const boots = events.filter((e) => e.type === 'step-progress' && e.phase === 'lab' && /^booting on/.test(e.message ?? ''));
  // From each verdict to the next test's start; the last verdict has none.
  const gaps = verdicts.flatMap((v) => {
    const nextBoot = boots.find((b) => b.at > v.at);
    return nextBoot ? [(Date.parse(nextBoot.at) - Date.parse(v.at)) / 1000] : [];
  });
  const builtAhead = events.filter((e) => e.type === 'step-progress' && /^built ahead/.test(e.message ?? '')).length;
  return { gaps, builtAhead, steps: verdicts.length, minutes: (Date.now() - started) / 60_000 };
}

const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`bench/build-ahead: demo history, kernel probe, 1 build slot, 1 virtual machine; load average at start ${load()}`);
const env = await startKernelLabHarness('bench-ahead');
const tree = await env.h.registerTree(repo);
let runs: Record<'off' | 'on', Run>;
try {
  runs = { off: await bisect(env.h, 'off'), on: await bisect(env.h, 'on') };
} finally {
  await env.close();
}
for (const mode of ['off', 'on'] as const) {
  const r = runs[mode];
  console.log(`  build ahead ${mode}: ${r.steps} steps in ${r.minutes.toFixed(1)} min, ${r.builtAhead} kernels built ahead; verdict → next test start: ${r.gaps.map((g) => g.toFixed(1)).join(', ')} s; median ${median(r.gaps).toFixed(1)} s`);
}
console.log(`ratio of medians, off / on: ${(median(runs.off.gaps) / median(runs.on.gaps)).toFixed(2)} (load average at end ${load()})`);
