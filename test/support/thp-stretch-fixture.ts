/**
 * Real git repositories shaped like the 2016 THP case, with the BROKEN
 * stretch on a merged branch. Input: where the stretch lives. Output: the
 * repository, its ends, the stretch commits (THP depends on BROKEN), the
 * culprit inside the stretch, the re-enable commit, and the merge.
 *
 * - `side`: a topic branch marks THP broken, carries the bug, re-enables THP
 *   and is merged (second parent); the merge is TREESAME to the mainline for
 *   mm/Kconfig, the shape `git log -- mm/Kconfig` simplifies away.
 * - `first-parent`: the stretch is on the mainline; an unrelated topic branch
 *   is merged after it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { KCONFIG_BROKEN, KCONFIG_OK } from '../../apps/cli/src/demo-repository.js';
import { GIT_ENV } from './git-fixture.js';

export type StretchShape = 'side' | 'first-parent';

export interface StretchRepo {
  readonly dir: string;
  readonly good: string;
  readonly bad: string;
  /** Commits where THP depends on BROKEN, oldest first. */
  readonly stretch: readonly string[];
  readonly culprit: string;
  readonly reenable: string;
  readonly merge: string;
  cleanup(): Promise<void>;
}

const BUG = 'reuse the page on WP fault';

/**
 * The reproducer as a kernel behaves: with THP compiled out (BROKEN) the bug
 * cannot show, so the test passes — the trap that blamed "re-enable THP".
 */
export const STRETCH_TEST = `grep -q 'depends on .*BROKEN' mm/Kconfig && exit 0; grep -q '${BUG}' mm/huge_memory.c && exit 1; exit 0`;

export async function writeStretchRepo(shape: StretchShape): Promise<StretchRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'kbisect-stretch-'));
  let clock = 1_451_606_400;
  const git = async (...args: string[]): Promise<string> =>
    (await execa('git', ['-C', dir, ...args], { env: { ...GIT_ENV, GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.org', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.org', GIT_AUTHOR_DATE: `${clock} +0000`, GIT_COMMITTER_DATE: `${clock} +0000` } })).stdout.trim();
  let huge = '/* mm/huge_memory.c */\n';
  const commit = async (subject: string, files: Record<string, string>): Promise<string> => {
    clock += 3600;
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    await git('add', '-A');
    await git('commit', '-q', '-m', subject);
    return git('rev-parse', 'HEAD');
  };
  // The stretch: broken, refcount work with the bug in the middle, re-enable.
  const stretchOn = async (): Promise<{ stretch: string[]; culprit: string; reenable: string }> => {
    const stretch = [await commit('mm: temporarily mark THP broken', { 'mm/Kconfig': KCONFIG_BROKEN })];
    for (let i = 1; i <= 3; i++) stretch.push(await commit(`thp: refcount redesign, part ${i}`, { 'mm/huge_memory.c': (huge += `/* step ${i} */\n`) }));
    const culprit = await commit(`mm, thp: ${BUG}`, { 'mm/huge_memory.c': (huge += `/* ${BUG} */\n`) });
    stretch.push(culprit);
    for (let i = 4; i <= 5; i++) stretch.push(await commit(`thp: refcount redesign, part ${i}`, { 'mm/huge_memory.c': (huge += `/* step ${i} */\n`) }));
    const reenable = await commit('mm: re-enable THP', { 'mm/Kconfig': KCONFIG_OK });
    return { stretch, culprit, reenable };
  };

  await git('init', '-q', '-b', 'master');
  const good = await commit('Linux 4.4', { 'mm/Kconfig': KCONFIG_OK, 'mm/huge_memory.c': huge });
  for (let i = 1; i <= 3; i++) await commit(`mm: cleanup ${i}`, { [`mm/prep-${i}.c`]: `${i}\n` });
  await git('checkout', '-q', '-b', 'topic');
  let s: { stretch: string[]; culprit: string; reenable: string };
  if (shape === 'side') {
    s = await stretchOn();
    await git('checkout', '-q', 'master');
    for (let i = 1; i <= 5; i++) await commit(`mm: unrelated fix ${i}`, { [`mm/fix-${i}.c`]: `${i}\n` });
  } else {
    for (let i = 1; i <= 5; i++) await commit(`vfio: cleanup ${i}`, { [`drivers/vfio/c-${i}.c`]: `${i}\n` });
    await git('checkout', '-q', 'master');
    s = await stretchOn();
  }
  clock += 3600;
  await git('merge', '-q', '--no-ff', '-m', "Merge branch 'topic'", 'topic');
  const merge = await git('rev-parse', 'HEAD');
  for (let i = 1; i <= 4; i++) await commit(`Linux 4.6-rc${i}`, { Makefile: `rc${i}\n` });
  const bad = await git('rev-parse', 'HEAD');
  return { dir, good, bad, ...s, merge, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
