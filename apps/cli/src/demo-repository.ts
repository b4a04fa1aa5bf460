import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/**
 * A small history modelled on the 2016 THP refcount series: THP is marked
 * BROKEN for a stretch, the regression lands inside that stretch, and
 * "mm: re-enable THP" ends it — the commit three real bisections blamed.
 * Returns the repository path and the names of the interesting commits.
 */
export interface DemoRepository {
  readonly dir: string;
  readonly good: string;
  readonly bad: string;
  readonly culprit: string;
  readonly reenable: string;
  readonly testCommand: string;
}

export const KCONFIG_OK = 'config TRANSPARENT_HUGEPAGE\n\tbool "Transparent Hugepage Support"\n\tdepends on HAVE_ARCH_TRANSPARENT_HUGEPAGE\n';
export const KCONFIG_BROKEN = 'config TRANSPARENT_HUGEPAGE\n\tbool "Transparent Hugepage Support"\n\tdepends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && BROKEN\n';

// The demo's reproducer: untestable (125) while THP cannot be built, bad when
// the page-reuse change is present. It stands in for a build + boot + vfio test.
const TEST_SCRIPT = `#!/bin/sh
# Exit 125 when THP cannot be enabled at this commit, 1 when pinned pages move.
grep -q 'depends on .*BROKEN' mm/Kconfig && exit 125
grep -q 'reuse the page on WP fault' mm/huge_memory.c && exit 1
exit 0
`;

export async function createDemoRepository(dir: string): Promise<DemoRepository> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let clock = 1_451_606_400; // 2016-01-01
  const env = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Kernel Dev', GIT_AUTHOR_EMAIL: 'dev@example.org', GIT_COMMITTER_NAME: 'Kernel Dev', GIT_COMMITTER_EMAIL: 'dev@example.org' };
  const git = async (...args: string[]): Promise<string> => (await execa('git', ['-C', dir, ...args], { env: { ...env, GIT_AUTHOR_DATE: `${clock} +0000`, GIT_COMMITTER_DATE: `${clock} +0000` } })).stdout.trim();
  const write = async (path: string, text: string): Promise<void> => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  };
  const commit = async (subject: string, files: Record<string, string>): Promise<string> => {
    clock += 3600;
    for (const [path, text] of Object.entries(files)) await write(path, text);
    await git('add', '-A');
    await git('commit', '-q', '-m', subject);
    return git('rev-parse', 'HEAD');
  };
  await git('init', '-q', '-b', 'master');
  let hugeMemory = '/* mm/huge_memory.c */\n';
  const good = await commit('Linux 4.4', { 'mm/Kconfig': KCONFIG_OK, 'mm/huge_memory.c': hugeMemory, 'kbisect-demo-test.sh': TEST_SCRIPT, Makefile: 'VERSION = 4\nPATCHLEVEL = 4\n' });
  for (let i = 1; i <= 6; i++) await commit(`mm: preparatory cleanup ${i}`, { [`mm/prep-${i}.c`]: `/* ${i} */\n` });
  await commit('mm: temporarily mark THP broken', { 'mm/Kconfig': KCONFIG_BROKEN });
  for (let i = 1; i <= 5; i++) {
    hugeMemory += `/* thp refcount step ${i} */\n`;
    await commit(`thp: refcount redesign, part ${i}`, { 'mm/huge_memory.c': hugeMemory });
  }
  hugeMemory += '/* mm, thp: adjust conditions when we can reuse the page on WP fault */\n';
  const culprit = await commit('mm, thp: adjust conditions when we can reuse the page on WP fault', { 'mm/huge_memory.c': hugeMemory });
  for (let i = 6; i <= 9; i++) {
    hugeMemory += `/* thp refcount step ${i} */\n`;
    await commit(`thp: refcount redesign, part ${i}`, { 'mm/huge_memory.c': hugeMemory });
  }
  const reenable = await commit('mm: re-enable THP', { 'mm/Kconfig': KCONFIG_OK });
  // A topic branch merged afterwards, so the range has merges like the real one.
  await git('checkout', '-q', '-b', 'vfio-next');
  for (let i = 1; i <= 4; i++) await commit(`vfio: cleanup ${i}`, { [`drivers/vfio/cleanup-${i}.c`]: `/* ${i} */\n` });
  await git('checkout', '-q', 'master');
  for (let i = 1; i <= 8; i++) await commit(`mm: unrelated fix ${i}`, { [`mm/fix-${i}.c`]: `/* ${i} */\n` });
  clock += 3600;
  await execa('git', ['-C', dir, 'merge', '-q', '--no-ff', '-m', "Merge branch 'vfio-next'", 'vfio-next'], { env: { ...env, GIT_AUTHOR_DATE: `${clock} +0000`, GIT_COMMITTER_DATE: `${clock} +0000` } });
  for (let i = 1; i <= 6; i++) await commit(`Linux 4.6-rc${i}`, { Makefile: `VERSION = 4\nPATCHLEVEL = 6\nEXTRAVERSION = -rc${i}\n` });
  const bad = await git('rev-parse', 'HEAD');
  return { dir, good, bad, culprit, reenable, testCommand: 'sh kbisect-demo-test.sh' };
}
