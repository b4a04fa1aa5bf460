/**
 * bench/kbuild — kernel build costs on this machine, on a real tree.
 *
 * Input: the THP fixture (packages/kbuild/scripts/make-thp-fixture.sh builds it
 *   from Debian's linux-source-6.1 once); --jobs N (default: all cores);
 *   KBISECT_V44_TREE=<a v4.4 tree> adds v4.4-era builds, --v44-only runs just those.
 * Output (stdout): seconds for a clean build of the qemu-x86_64 + iommu-vfio +
 *   thp config, an incremental build after a one-file change in mm/ (the next
 *   commit), a clean build with ccache cold and then warm (new build dir), and
 *   the artifact-cache hit for an identical tree; then whether the bzImage
 *   boots under QEMU to the kernel banner. Work dirs under $TMPDIR, removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { ArtifactCache, buildKernel, loadFragments, type BuildOutcome } from '@kbisect/kbuild';
import { unconfinedSandbox } from '@kbisect/sandbox';

const jobsFlag = process.argv.indexOf('--jobs');
const jobs = jobsFlag >= 0 ? Number(process.argv[jobsFlag + 1]) : cpus().length;
const fixture = (await execa(resolve(import.meta.dirname, '../packages/kbuild/scripts/make-thp-fixture.sh'))).stdout.trim();
const scratch = await mkdtemp(join(tmpdir(), 'kbisect-kbuild-bench-'));
try {
  const repo = await openRepo(validateRepoSource(fixture), { cacheDir: join(scratch, 'cache') });
  const head = await repo.resolveCommit('fixture-ready', 'fixture');
  const prev = await repo.resolveCommit('fixture-ready~1', 'fixture');
  const fragments = await loadFragments(['qemu-x86_64', 'iommu-vfio', 'thp']);
  const required = ['CONFIG_TRANSPARENT_HUGEPAGE', 'CONFIG_VFIO_PCI', 'CONFIG_VFIO_IOMMU_TYPE1', 'CONFIG_INTEL_IOMMU'];
  const build = async (label: string, workDir: string, cacheDir: string, commit: string, ccache: boolean, ccacheDir?: string): Promise<BuildOutcome> => {
    const t0 = performance.now();
    const out = await buildKernel(repo, new ArtifactCache(join(scratch, cacheDir), 20e9), join(scratch, workDir), { commit, fragments, required, jobs, ccache, sandbox: unconfinedSandbox(), ...(ccacheDir ? { ccacheDir: join(scratch, ccacheDir) } : {}) });
    const s = (performance.now() - t0) / 1000;
    console.log(`${label.padEnd(44)} ${s.toFixed(1).padStart(7)} s  ${out.kind === 'built' ? (out.fromCache ? '(artifact cache hit)' : 'built') : `skip: ${out.reason}`}`);
    return out;
  };
  const only44 = process.argv.includes('--v44-only');
  const clean = only44 ? undefined : await (async () => {
    console.log(`kernel builds: linux-source-6.1 fixture, qemu-x86_64 + iommu-vfio + thp, make -j${jobs}`);
    const c = await build('clean build (no ccache)', 'w1', 'a1', prev, false);
    await build('incremental: next commit, one file in mm/', 'w1', 'a1', head, false);
    await build('clean build, ccache cold', 'w2', 'a2', prev, true, 'ccache');
    await build('clean build, ccache warm (new build dir)', 'w3', 'a3', prev, true, 'ccache');
    await build('identical tree again (artifact cache)', 'w1', 'a1', prev, false);
    return c;
  })();
  if (clean?.kind === 'built') {
    const boot = await execa('timeout', ['60', 'qemu-system-x86_64', '-accel', 'tcg', '-M', 'q35', '-m', '256', '-nographic', '-no-reboot', '-nic', 'none', '-kernel', clean.artifacts.bzImage, '-append', 'console=ttyS0 panic=-1'], { reject: false, all: true });
    const banner = /Linux version 6\.1[^\n]*/.exec(boot.all ?? '')?.[0];
    console.log(`boots under QEMU: ${banner ? `yes — "${banner.slice(0, 80)}"` : 'NO'}`);
  }
  // The seed's era, when a v4.4 tree is at hand (KBISECT_V44_TREE; never part of this repository).
  const v44Tree = process.env.KBISECT_V44_TREE;
  if (v44Tree) {
    const v44 = (await execa(resolve(import.meta.dirname, '../packages/kbuild/scripts/make-v44-fixture.sh'), [v44Tree])).stdout.trim();
    const r44 = await openRepo(validateRepoSource(v44), { cacheDir: join(scratch, 'cache') });
    const tip = await r44.resolveCommit('v44-bad', 'v44');
    const before = await r44.resolveCommit('v44-bad~1', 'v44');
    const build44 = async (label: string, commit: string, cacheDir: string, makeCompat = true): Promise<number> => {
      const t0 = performance.now();
      const out = await buildKernel(r44, new ArtifactCache(join(scratch, cacheDir), 20e9), join(scratch, 'w44'), { commit, fragments, required, jobs, ccache: false, makeCompat, sandbox: unconfinedSandbox() });
      const s = (performance.now() - t0) / 1000;
      console.log(`${label.padEnd(52)} ${s.toFixed(1).padStart(7)} s  ${out.kind === 'built' ? `built with ${String(out.artifacts.meta.cc)}` : `skip: ${out.reason}`}`);
      return s;
    };
    console.log(`v4.4-era builds (${v44Tree}), toolchain from the table:`);
    await build44('v4.4: clean build (no ccache)', before, 'a44');
    const step = await build44('v4.4: incremental, one file in mm/', tip, 'a44');
    // The baseline: the same one-file step back, without the make 4.3 arguments (what plain make does to v4.4).
    const plain = await build44('v4.4: same step back, without make-compat args', before, 'a44-plain', false);
    console.log(`v4.4 one-file step: ${step.toFixed(1)} s with make-compat args, ${plain.toFixed(1)} s without (${(plain / step).toFixed(1)}x)`);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
