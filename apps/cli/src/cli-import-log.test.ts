/**
 * --import-log honours the log's start (issue 14.3): its ends and
 * --first-parent, from logs real `git bisect` wrote. The continuation tests
 * the same commits and ends on the same answer as `git bisect replay` + `git
 * bisect run`; flags that contradict the log are refused with the reason.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf, type GeneratedHistory } from '@kbisect/bisect/testing';
import { GIT_ENV, oracleScript, writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';
import { runCommand } from './commands/run.js';

// main 0..9, a side branch 10..14 forked at 3 and merged at 15, then 16..19.
const history: GeneratedHistory = {
  parents: [[], [0], [1], [2], [3], [4], [5], [6], [7], [8], [3], [10], [11], [12], [13], [9, 14], [15], [16], [17], [18]],
  tip: 19,
};
const culprit = 12; // on the side branch: first-parent bisection blames the merge (15)
let fx: GitFixture;
let work: string;
let oracle: string;

beforeAll(async () => {
  fx = await writeGitHistory(history);
  work = await mkdtemp(join(tmpdir(), 'kbisect-import-'));
  await writeFile(join(work, 'bad.txt'), [...descendantsOf(history, culprit)].map((i) => fx.shas[i]).join('\n') + '\n');
  await writeFile(join(work, 'skip.txt'), '\n');
  oracle = join(work, 'oracle.sh');
  await writeFile(oracle, oracleScript(join(work, 'bad.txt'), join(work, 'skip.txt')), { mode: 0o755 });
});
afterAll(async () => {
  await fx.cleanup();
  await rm(work, { recursive: true, force: true });
});

const git = (...args: string[]) => execa('git', ['-C', fx.dir, ...args], { env: GIT_ENV, reject: false });
const tested = (log: string): string[] => [...log.matchAll(/^git bisect (?:good|bad|skip) ([0-9a-f]{40})$/gm)].map((m) => m[1]!);

/** A log real git wrote: started by hand (symbolic refs), one step marked by the oracle. */
async function handLog(firstParent: boolean): Promise<string> {
  await git('bisect', 'start', ...(firstParent ? ['--first-parent'] : []), 'main', 'main~9');
  const mark = await execa('sh', [oracle], { cwd: fx.dir, reject: false });
  await git('bisect', mark.exitCode === 0 ? 'good' : 'bad');
  const path = join(work, `hand-${firstParent}.log`);
  await writeFile(path, (await git('bisect', 'log')).stdout + '\n');
  await git('bisect', 'reset');
  return path;
}

/** What git does continuing that log: replay, then bisect run. */
async function gitContinues(log: string): Promise<{ culprit?: string; tested: string[] }> {
  await git('bisect', 'replay', log);
  const before = tested((await git('bisect', 'log')).stdout).length;
  const run = await git('bisect', 'run', 'sh', oracle);
  const all = tested((await git('bisect', 'log')).stdout);
  await git('bisect', 'reset');
  const found = /^([0-9a-f]{40}) is the first bad commit$/m.exec(run.stdout)?.[1];
  return { ...(found ? { culprit: found } : {}), tested: all.slice(before) };
}

async function kbisect(args: string[]): Promise<{ culprit?: string; verdicts: { commit: string; source: string }[] }> {
  let out = '';
  await runCommand(['--repo', fx.dir, '--test-cmd', `sh ${oracle}`, '--json', '--cache-dir', join(work, 'cache'), ...args], { out: (s) => (out += s), err: () => undefined });
  return JSON.parse(out) as never;
}

describe('kbisect run --import-log', () => {
  it.each([true, false])('continues a log git wrote (--first-parent: %s) on its own ends and mode, as git does', async (firstParent) => {
    const log = await handLog(firstParent);
    const ours = await kbisect(['--import-log', log]);
    const theirs = await gitContinues(log);
    expect(ours.culprit).toBe(theirs.culprit);
    expect(ours.culprit).toBe(fx.shas[firstParent ? 15 : culprit]);
    expect(ours.verdicts.filter((v) => v.source === 'probe').map((v) => v.commit)).toEqual(theirs.tested);
    // Flags that agree with the log are accepted.
    const agreeing = await kbisect(['--import-log', log, '--bad', 'main', '--good', 'main~9', ...(firstParent ? ['--first-parent'] : [])]);
    expect(agreeing.culprit).toBe(ours.culprit);
  });

  it('refuses flags that contradict the log, naming them', async () => {
    const plain = await handLog(false);
    await expect(kbisect(['--import-log', plain, '--first-parent'])).rejects.toThrow(/--first-parent: the imported log was started without --first-parent/);
    await expect(kbisect(['--import-log', plain, '--bad', fx.shas[18]!])).rejects.toThrow(/--bad [0-9a-f]{12} contradicts the imported log, which starts from bad [0-9a-f]{12}/);
    await expect(kbisect(['--import-log', plain, '--good', fx.shas[1]!])).rejects.toThrow(/--good [0-9a-f]{12} contradicts the imported log/);
  });
});
