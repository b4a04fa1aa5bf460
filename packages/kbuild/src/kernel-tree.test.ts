/**
 * On a real kernel tree: the THP fixture built from Debian's linux-source-6.1
 * (packages/kbuild/scripts/make-thp-fixture.sh, cached after the first run).
 * Skipped, saying why, only when the source package is not installed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRepo, validateRepoSource, type GitRepo } from '@kbisect/git';
import { openSandbox, type Sandbox } from '@kbisect/sandbox';
import { ArtifactCache } from './artifact-cache.js';
import { buildKernel, dropBrokenDependencies } from './build-kernel.js';
import { configureKernel } from './configure-kernel.js';
import { loadFragments } from './fragments.js';
import { probeUntestable } from './kconfig-probe.js';

const haveSource = existsSync('/usr/src/linux-source-6.1.tar.xz');
const REQUIRED = ['CONFIG_TRANSPARENT_HUGEPAGE', 'CONFIG_VFIO_PCI', 'CONFIG_VFIO_IOMMU_TYPE1', 'CONFIG_INTEL_IOMMU'];

describe.skipIf(!haveSource)('on linux-source-6.1', () => {
  let fixture: string;
  let scratch: string;
  let repo: GitRepo;
  // The real kernel's make runs as on a build worker: in the bwrap sandbox.
  let sandbox: Sandbox;
  beforeAll(async () => {
    const opened = await openSandbox('on', 'kbisect-sandbox');
    expect(opened.status).toBe('ready');
    sandbox = opened.sandbox;
    fixture = (await execa(resolve(import.meta.dirname, '../scripts/make-thp-fixture.sh'))).stdout.trim();
    scratch = await mkdtemp(join(tmpdir(), 'kbisect-tree-'));
    repo = await openRepo(validateRepoSource(fixture), { cacheDir: join(scratch, 'cache') });
  }, 600_000);
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('the cheap probe marks exactly the BROKEN stretch, without a checkout or a build', async () => {
    const bad = await repo.resolveCommit('fixture-ready', 'bad');
    const good = await repo.resolveCommit('v6.1-base', 'good');
    const graph = await repo.readGraph(bad, [good]);
    const worktreesBefore = (await execa('git', ['--git-dir', repo.gitDir, 'worktree', 'list'])).stdout;
    const untestable = await probeUntestable(repo, { graph, bad, goods: [good], required: REQUIRED });
    const stretch: string[] = [];
    for (const [i, subject] of (graph.subjects ?? []).entries()) {
      if (subject === 'mm: temporarily mark THP broken' || subject.startsWith('thp: refcount redesign')) stretch.push(graph.commits[i]!);
    }
    expect(stretch).toHaveLength(13);
    expect(Object.keys(untestable).sort()).toEqual(stretch.sort());
    expect(untestable[stretch[0]!]).toBe('CONFIG_TRANSPARENT_HUGEPAGE depends on BROKEN at this commit (mm/Kconfig)');
    expect((await execa('git', ['--git-dir', repo.gitDir, 'worktree', 'list'])).stdout).toBe(worktreesBefore);
  }, 120_000);

  it('olddefconfig on a BROKEN commit drops THP, and the commit is a skip naming it', async () => {
    const broken = await repo.resolveCommit(':/mm: temporarily mark THP broken', 'commit').catch(async () => {
      const log = (await execa('git', ['--git-dir', repo.gitDir, 'log', '--format=%H %s', 'fixture-ready'])).stdout.split('\n');
      return log.find((l) => l.endsWith('mm: temporarily mark THP broken'))!.slice(0, 40);
    });
    const src = join(scratch, 'src');
    await repo.checkoutWorktree(src, broken);
    const result = await configureKernel({ srcDir: src, outDir: join(scratch, 'out'), fragments: await loadFragments(['qemu-x86_64', 'iommu-vfio', 'thp']), required: REQUIRED, cc: 'gcc-12', sandbox });
    expect(result).toEqual({ ok: false, reason: 'untestable: CONFIG_TRANSPARENT_HUGEPAGE not set (make olddefconfig dropped it: CONFIG_TRANSPARENT_HUGEPAGE (mm/Kconfig: depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && !PREEMPT_RT && BROKEN))' });

    // untestable: force — the same commit with BROKEN dropped in the worktree keeps THP.
    expect(await dropBrokenDependencies(src, REQUIRED)).toEqual(['CONFIG_TRANSPARENT_HUGEPAGE in mm/Kconfig']);
    const forced = await configureKernel({ srcDir: src, outDir: join(scratch, 'out'), fragments: await loadFragments(['qemu-x86_64', 'iommu-vfio', 'thp']), required: REQUIRED, cc: 'gcc-12', sandbox });
    expect(forced.ok).toBe(true);
  }, 600_000);

  it.skipIf(!process.env.KBISECT_KERNEL_TESTS)('builds the QEMU target whose bzImage boots, and never builds an identical tree twice (KBISECT_KERNEL_TESTS=1)', async () => {
    const commit = await repo.resolveCommit('fixture-ready', 'commit');
    const cache = new ArtifactCache(join(scratch, 'artifacts'), 5e9);
    const req = { commit, fragments: await loadFragments(['qemu-x86_64', 'iommu-vfio', 'thp']), required: REQUIRED, ccache: false, sandbox };
    const built = await buildKernel(repo, cache, join(scratch, 'work'), req);
    expect(built.kind).toBe('built');
    if (built.kind !== 'built') return;
    const boot = await execa('timeout', ['60', 'qemu-system-x86_64', '-accel', 'tcg', '-M', 'q35', '-m', '256', '-nographic', '-no-reboot', '-nic', 'none', '-kernel', built.artifacts.bzImage, '-append', 'console=ttyS0 panic=-1'], { reject: false, all: true });
    expect(boot.all).toMatch(/Linux version 6\.1/);
    const again = await buildKernel(repo, cache, join(scratch, 'work'), req);
    expect(again).toMatchObject({ kind: 'built', fromCache: true });
  }, 3_600_000);
});
