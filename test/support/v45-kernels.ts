/**
 * The three kernels of the 2016 vfio/THP regression, built the way the build
 * worker builds them (kbuild's buildKernel: tinyconfig + qemu-x86_64 +
 * iommu-vfio + thp, the toolchain table's gcc-11 -fno-pie -no-pie for v4.x),
 * from local trees named by environment variables (nothing of them is in
 * this repository). Artifacts are cached under ~/.cache/kbisect/v45-thp, so a
 * rerun boots at once.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { ArtifactCache, buildKernel, loadFragments } from '@kbisect/kbuild';
import { unconfinedSandbox } from '@kbisect/sandbox';

export const V45_KERNELS = ['v4.4.1', 'v4.5.0', 'v4.5.7'] as const;
export type V45Kernel = (typeof V45_KERNELS)[number];

/** KBISECT_V441_TREE, KBISECT_V450_TREE, KBISECT_V457_TREE. */
export const V45_TREE_VARS: Readonly<Record<V45Kernel, string>> = { 'v4.4.1': 'KBISECT_V441_TREE', 'v4.5.0': 'KBISECT_V450_TREE', 'v4.5.7': 'KBISECT_V457_TREE' };

const FIXTURE_SCRIPT = resolve(import.meta.dirname, '../../reproducers/scripts/make-v45-thp-fixture.sh');
export const REQUIRED = ['CONFIG_TRANSPARENT_HUGEPAGE', 'CONFIG_VFIO_PCI', 'CONFIG_VFIO_IOMMU_TYPE1', 'CONFIG_INTEL_IOMMU'];

export interface BuiltKernel {
  readonly tag: V45Kernel;
  readonly bzImage: string;
  readonly seconds: number;
  readonly fromCache: boolean;
}

/** Builds (or finds in the artifact cache) the three kernels; `log` gets one line per kernel. */
export async function buildV45Kernels(trees: Readonly<Record<V45Kernel, string>>, log: (line: string) => void = () => undefined): Promise<BuiltKernel[]> {
  const root = join(homedir(), '.cache', 'kbisect', 'v45-thp');
  const fixture = (await execa(FIXTURE_SCRIPT, [trees['v4.4.1'], trees['v4.5.0'], trees['v4.5.7']], { timeout: 1_800_000 })).stdout.trim();
  const repo = await openRepo(validateRepoSource(fixture), { cacheDir: join(root, 'git') });
  const cache = new ArtifactCache(join(root, 'artifacts'), 5e9);
  const fragments = await loadFragments(['qemu-x86_64', 'iommu-vfio', 'thp']);
  const jobs = Number(process.env.KBISECT_BUILD_JOBS ?? '2');
  const ccacheDir = process.env.CCACHE_DIR ?? join(homedir(), '.cache', 'kbisect', 'ccache');
  const out: BuiltKernel[] = [];
  for (const tag of V45_KERNELS) {
    const commit = await repo.resolveCommit(tag, 'kernel');
    const built = await buildKernel(repo, cache, join(root, 'work'), { commit, fragments, required: REQUIRED, jobs, ccacheDir, timeoutSec: 3600, sandbox: unconfinedSandbox() });
    if (built.kind !== 'built') throw new Error(`${tag} did not build: ${built.reason}`);
    log(`${tag}: ${built.fromCache ? 'from the artifact cache' : `built in ${built.seconds.toFixed(0)} s`} (${String(built.artifacts.meta.cc)})`);
    out.push({ tag, bzImage: built.artifacts.bzImage, seconds: built.seconds, fromCache: built.fromCache });
  }
  return out;
}
