/**
 * The mission in one piece, on real kernels: a history built from Debian's
 * linux-source-6.1 with an injected vfio pinning regression and a stretch
 * where THP depends on BROKEN; a maintainer submits it over the API with a
 * kernel probe; workers build each step (packages/kbuild), boot it on the
 * virtual lab over IPMI + PXE (iPXE fetching the kernel over HTTP from the
 * lab worker) with the vfio-pin-check reproducer, and the
 * bisection names the injected commit, with evidence for every verdict and
 * the BROKEN stretch reported as untestable.
 *
 * Runs in CI (minutes: one clean kernel build, then incremental ones; set
 * CCACHE_DIR to keep compiler output between runs). Skipped when the kernel
 * source or the lab tools are missing.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualLab } from '@kbisect/lab';
import { startKernelLabHarness, type KernelLabHarness } from './support/kernel-lab-harness.js';
import type { Harness } from './support/service-harness.js';
import { ipxeFetchedOk } from './support/ipxe-fetch.js';

const ready = existsSync('/usr/src/linux-source-6.1.tar.xz') && ['/usr/bin/ipmi_sim', '/usr/bin/ipmitool', '/usr/bin/qemu-system-x86_64'].every((p) => existsSync(p));
const FIXTURE_SCRIPT = resolve(import.meta.dirname, '../reproducers/scripts/make-vfio-demo-fixture.sh');

interface Verdict { commit: string; verdict: string; reason: string; source: string; purpose?: string; evidence?: string; buildEvidence?: string; metrics?: Record<string, number>; machine?: string }
interface View { status: string; culprit?: string; candidates?: string[]; steps: number; verdicts: Verdict[]; error?: string; verification?: Record<string, Record<string, unknown>> }

describe.skipIf(!ready)('a real kernel bisection on the virtual lab', () => {
  let env: KernelLabHarness;
  let h: Harness;
  let lab: VirtualLab;
  let repo: string;
  let culprit: string;
  let broken: string[];

  beforeAll(async () => {
    repo = (await execa(FIXTURE_SCRIPT, [], { timeout: 900_000 })).stdout.trim();
    culprit = (await execa('git', ['-C', repo, 'rev-parse', 'demo-culprit^{commit}'])).stdout.trim();
    broken = (await execa('git', ['-C', repo, 'log', '--format=%H', '--grep=^thp: refcount redesign', 'v6.1-base..demo-bad'])).stdout.trim().split('\n');
    // Build host and lab host as in a real lab: separate processes, disjoint cache dirs, the artifact store between them.
    env = await startKernelLabHarness('kernel-e2e', { separateLab: true });
    h = env.h;
    lab = env.lab;
  }, 1_200_000);

  afterAll(async () => {
    await env?.close();
  });

  it('finds the injected commit, with console and build evidence for every verdict', async () => {
    const submitted = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', {
      repo: await h.registerTree(repo), good: ['v6.1-base'], bad: 'demo-bad',
      probe: {
        type: 'kernel', configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'], requireConfig: ['CONFIG_TRANSPARENT_HUGEPAGE'], pool: 'virtual',
        reproducer: { name: 'vfio-pin-check', args: ['--mode=fork', '--seconds=8'], timeoutSec: 240 },
      },
      // After the answer: re-test the culprit and its parent, and boot the bad end built with the culprit reverted.
      options: { verify: true, verifyRevert: true },
    });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id;
    let view: View | undefined;
    for (let i = 0; i < 3300; i++) {
      view = (await h.fetchJson<View>('GET', `/api/v1/bisections/${id}`)).body;
      if (['found', 'ambiguous', 'failed', 'cancelled'].includes(view.status)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(view?.error).toBeUndefined();
    expect(view).toMatchObject({ status: 'found', culprit });
    const tested = view!.verdicts.filter((v) => v.source === 'probe');
    expect(tested.length).toBeGreaterThanOrEqual(3);
    for (const v of tested) {
      // Endpoint checks name their evidence console-<sha>-check-bad-0 and so on.
      expect(v).toMatchObject({ machine: lab.machines[0]!.id, evidence: expect.stringMatching(new RegExp(`^console-${v.commit}`)), buildEvidence: expect.stringMatching(new RegExp(`^build-${v.commit}`)) });
      expect(v.metrics?.pages).toBe(1024);
    }
    expect(tested.find((v) => v.commit === culprit)).toMatchObject({ verdict: 'bad', metrics: { mode_fork: 1 } });
    expect(tested.find((v) => v.commit === culprit)!.metrics!.mismatches).toBeGreaterThan(0);
    expect(tested.filter((v) => v.verdict === 'good').every((v) => v.metrics!.mismatches === 0 && v.metrics!.iterations! > 0)).toBe(true);
    // The BROKEN stretch: untestable by the Kconfig probe, never built.
    const untestable = view!.verdicts.filter((v) => broken.includes(v.commit));
    expect(untestable.every((v) => v.verdict === 'skip' && /CONFIG_TRANSPARENT_HUGEPAGE/.test(v.reason))).toBe(true);
    expect(tested.some((v) => broken.includes(v.commit))).toBe(false);

    // Verified: the culprit shows it again, its parent does not, and the bad end with the culprit reverted is fixed.
    expect(view!.verification).toMatchObject({ culprit: { outcome: 'confirmed' }, parents: { outcome: 'confirmed' }, revert: { outcome: 'fixed', runs: 1, failures: 0, baselineFailures: 1 } });
    // The reverted kernel's run is the verification's evidence, not the bad end's.
    const revert = view!.verification!.revert as { evidence?: string; buildEvidence?: string; metrics?: Record<string, number> };
    expect(revert.metrics?.mismatches).toBe(0);
    expect(revert.evidence).toMatch(/^console-[0-9a-f]{40}-verify-revert-0/);
    expect(tested.filter((v) => v.purpose !== 'verify-revert').some((v) => v.evidence?.includes('verify-revert'))).toBe(false);
    expect(tested.find((v) => v.purpose === 'verify-revert')).toMatchObject({ commit: view!.verdicts.find((v) => v.purpose === 'check-bad')!.commit, verdict: 'good', evidence: revert.evidence });
    const revertBuild = await fetch(`${h.url}/api/v1/bisections/${id}/evidence/${revert.buildEvidence!}`, { headers: { authorization: 'Bearer test-admin-token' } }).then((r) => r.text());
    expect(revertBuild).toMatch(new RegExp(`kbisect: building [0-9a-f]{40} with ${culprit} reverted`));

    const consoleLog = await fetch(`${h.url}/api/v1/bisections/${id}/evidence/console-${culprit}`, { headers: { authorization: 'Bearer test-admin-token' } }).then((r) => r.text());
    expect(consoleLog).toMatch(/KBISECT-RESULT \{"verdict":"bad"/);
    // The virtual machine's iPXE fetched the kernel over HTTP from the lab worker, and the worker logged each fetch.
    expect(consoleLog).toMatch(ipxeFetchedOk(String.raw`http://10\.0\.2\.2:\d+/boot/[A-Za-z0-9_-]{22}/vmlinuz`));
    expect(consoleLog.split('--- kbisect: boot files over HTTP ---\n')[1]).toMatch(new RegExp(`^\\S+ ${lab.machines[0]!.id} GET vmlinuz: 200, \\d+ bytes in \\d+ ms$`, 'm'));
    expect(tested.every((v) => (v.metrics?.kernelFetchMs ?? -1) >= 0 && (v.metrics?.kernelBytes ?? 0) > 0)).toBe(true);
    const events = await fetch(`${h.url}/api/v1/bisections/${id}/events`, { headers: { authorization: 'Bearer test-admin-token', 'last-event-id': '0-0' }, signal: AbortSignal.timeout(5000) }).then((r) => r.text()).catch((e: unknown) => String(e));
    expect(events).toMatch(/"type":"step-progress","at":"[^"]+","commit":"[0-9a-f]{40}","phase":"console"/);
    // Every boot's kernel came to the lab worker through the store, checked by sha256, into its own cache.
    const fetched = events.match(/"phase":"lab","message":"kernel [0-9a-f]{12} from the artifact store/g) ?? [];
    expect(fetched.length).toBeGreaterThanOrEqual(tested.length);
    expect(env.labWorker!.cacheDir.startsWith(h.cacheDir)).toBe(false);
    expect(h.cacheDir.startsWith(env.labWorker!.cacheDir)).toBe(false);
    const report = await fetch(`${h.url}/api/v1/bisections/${id}/report`, { headers: { authorization: 'Bearer test-admin-token' } }).then((r) => r.text());
    expect(report).toContain(`The first bad commit is ${culprit}`);
    expect(report).toContain('the bad end with the culprit reverted: fixed (0 of 1 run fail; 1 of 1 without the revert); evidence: console-');
    expect(report).toMatch(/mismatches=\d+/);
    // The service checked both ends before bisecting.
    expect(report).toMatch(/Endpoints tested before bisecting:\n {2}bad {2}[0-9a-f]{12} {2}shows the bug/);
  }, 3_600_000);
});
