/**
 * Logs real `git bisect` writes for --import-log / importLog tests, and what
 * git does continuing them: shared by `kbisect run`'s and the service's tests.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { GeneratedHistory } from '@kbisect/bisect/testing';
import { GIT_ENV } from './git-fixture.js';

/** main 0..9, a side branch 10..14 forked at 3 and merged at 15, then 16..19: `main~9` is 5. */
export const MERGED_SIDE_HISTORY: GeneratedHistory = {
  parents: [[], [0], [1], [2], [3], [4], [5], [6], [7], [8], [3], [10], [11], [12], [13], [9, 14], [15], [16], [17], [18]],
  tip: 19,
};
/** On the side branch: a first-parent bisection blames the merge (15). */
export const SIDE_CULPRIT = 12;

const testedIn = (log: string): string[] => [...log.matchAll(/^git bisect (?:good|bad|skip) ([0-9a-f]{40})$/gm)].map((m) => m[1]!);

export interface HandLogs {
  /** A log started by hand on `main` and `main~9` (symbolic refs), with one step marked by the oracle. */
  handLog(firstParent: boolean): Promise<string>;
  /** What git does continuing that log: replay, then bisect run; the commits it tests after the log's. */
  gitContinues(log: string): Promise<{ culprit?: string; tested: string[] }>;
}

export function handLogs(repo: string, oracle: string, work: string): HandLogs {
  const git = (...args: string[]) => execa('git', ['-C', repo, ...args], { env: GIT_ENV, reject: false });
  return {
    async handLog(firstParent) {
      await git('bisect', 'start', ...(firstParent ? ['--first-parent'] : []), 'main', 'main~9');
      const mark = await execa('sh', [oracle], { cwd: repo, reject: false });
      await git('bisect', mark.exitCode === 0 ? 'good' : 'bad');
      const path = join(work, `hand-${firstParent}.log`);
      await writeFile(path, (await git('bisect', 'log')).stdout + '\n');
      await git('bisect', 'reset');
      return path;
    },
    async gitContinues(log) {
      await git('bisect', 'replay', log);
      const before = testedIn((await git('bisect', 'log')).stdout).length;
      const run = await git('bisect', 'run', 'sh', oracle);
      const all = testedIn((await git('bisect', 'log')).stdout);
      await git('bisect', 'reset');
      const found = /^([0-9a-f]{40}) is the first bad commit$/m.exec(run.stdout)?.[1];
      return { ...(found ? { culprit: found } : {}), tested: all.slice(before) };
    },
  };
}
