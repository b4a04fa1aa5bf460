/**
 * A good commit that is not an ancestor of bad (issue 14.4): kbisect tests
 * the merge base first, as `git bisect` does, and then bisects — the same
 * commits in the same order as `git bisect run`, the same answer; a bad merge
 * base ends it as git does ("The merge base … is bad"), and swapped ends are
 * still refused. Real git on both sides.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf, type GeneratedHistory } from '@kbisect/bisect/testing';
import { GIT_ENV, oracleScript, writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';
import { runCommand } from './commands/run.js';

// main 0..11; a side branch 12..16 forked at 4 and never merged.
const history: GeneratedHistory = {
  parents: [[], [0], [1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [4], [12], [13], [14], [15]],
  tip: 11,
};
let fx: GitFixture;
let work: string;

beforeAll(async () => {
  fx = await writeGitHistory(history);
  work = await mkdtemp(join(tmpdir(), 'kbisect-mb-'));
});
afterAll(async () => {
  await fx.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function oracleFor(culprit: number, skips: number[]): Promise<string> {
  const dir = await mkdtemp(join(work, 'o-'));
  await writeFile(join(dir, 'bad.txt'), [...descendantsOf(history, culprit)].map((i) => fx.shas[i]).join('\n') + '\n');
  await writeFile(join(dir, 'skip.txt'), skips.map((i) => fx.shas[i]).join('\n') + '\n');
  await writeFile(join(dir, 'oracle.sh'), oracleScript(join(dir, 'bad.txt'), join(dir, 'skip.txt')), { mode: 0o755 });
  return join(dir, 'oracle.sh');
}

async function gitRun(bad: string, good: string, oracle: string): Promise<{ output: string; culprit?: string; tested: string[] }> {
  const git = (...args: string[]) => execa('git', ['-C', fx.dir, ...args], { env: GIT_ENV, reject: false, all: true });
  const start = await git('bisect', 'start', bad, good);
  const run = await git('bisect', 'run', 'sh', oracle);
  const log = (await git('bisect', 'log')).stdout;
  await git('bisect', 'reset');
  const tested = [...log.matchAll(/^git bisect (?:good|bad|skip) ([0-9a-f]{40})$/gm)].map((m) => m[1]!);
  const culprit = /^([0-9a-f]{40}) is the first bad commit$/m.exec(run.stdout)?.[1];
  return { output: `${start.all}\n${run.all}`, ...(culprit ? { culprit } : {}), tested };
}

async function kbisect(bad: string, good: string, oracle: string, extra: readonly string[] = []): Promise<{ status: string; culprit?: string; error?: string; steps: number; verdicts: { commit: string; source: string }[] }> {
  let out = '';
  await runCommand(['--repo', fx.dir, '--bad', bad, '--good', good, '--test-cmd', `sh ${oracle}`, '--json', '--cache-dir', join(work, 'cache'), ...extra], { out: (s) => (out += s), err: () => undefined });
  return JSON.parse(out) as never;
}

describe('a good commit on a branch beside bad', () => {
  it.each([
    { name: 'the merge base is good: tested first, then the bisection', culprit: 7, skips: [] },
    { name: 'the merge base is skipped: git warns and bisects anyway', culprit: 8, skips: [4] },
  ])('$name — same tested commits and culprit as git bisect run', async ({ culprit, skips }) => {
    const oracle = await oracleFor(culprit, skips);
    const git = await gitRun(fx.shas[11]!, fx.shas[16]!, oracle);
    const ours = await kbisect(fx.shas[11]!, fx.shas[16]!, oracle);
    expect(git.output).toMatch(/a merge base must be tested/);
    expect(git.tested[0]).toBe(fx.shas[4]);
    expect(ours.verdicts.filter((v) => v.source === 'probe').map((v) => v.commit)).toEqual(git.tested);
    expect(ours.culprit).toBe(git.culprit);
    expect(ours.culprit).toBe(fx.shas[culprit]);
    expect(ours.steps).toBe(git.tested.length);
  });

  it('with --parallel 3 the merge base is still tested first, alone, and the culprit is git\'s', async () => {
    const oracle = await oracleFor(7, []);
    const git = await gitRun(fx.shas[11]!, fx.shas[16]!, oracle);
    const ours = await kbisect(fx.shas[11]!, fx.shas[16]!, oracle, ['--parallel', '3']);
    expect(ours.verdicts.filter((v) => v.source === 'probe')[0]?.commit).toBe(fx.shas[4]);
    expect(ours.culprit).toBe(git.culprit);
    expect(ours.culprit).toBe(fx.shas[7]);
  });

  it('the merge base is bad: the bug was fixed on the good side; ends as git does, saying so', async () => {
    const oracle = await oracleFor(2, []);
    const git = await gitRun(fx.shas[11]!, fx.shas[16]!, oracle);
    expect(git.output).toContain(`The merge base ${fx.shas[4]} is bad.`);
    expect(git.culprit).toBeUndefined();
    const ours = await kbisect(fx.shas[11]!, fx.shas[16]!, oracle);
    expect(ours).toMatchObject({ status: 'failed', steps: 1 });
    expect(ours.culprit).toBeUndefined();
    expect(ours.error).toContain(`The merge base ${fx.shas[4]} is bad. This means the bug has been fixed between ${fx.shas[4]} and [${fx.shas[16]}]`);
    expect(ours.verdicts.map((v) => v.commit)).toEqual(git.tested);
  });

  it('continues a git log that already tested the merge base without testing it again', async () => {
    const oracle = await oracleFor(7, []);
    const git = (...args: string[]) => execa('git', ['-C', fx.dir, ...args], { env: GIT_ENV, reject: false, all: true });
    await git('bisect', 'start', fx.shas[11]!, fx.shas[16]!);
    await git('bisect', 'good'); // HEAD is the merge base git checked out
    const log = join(work, 'mb.log');
    await writeFile(log, (await git('bisect', 'log')).stdout + '\n');
    await git('bisect', 'reset');
    expect(await readFile(log, 'utf8')).toContain(`git bisect good ${fx.shas[4]}`);
    // git's own replay of such a log stops at the start line's merge-base
    // check (exit 1, the mark unapplied), so git run tests the merge base again;
    // after it, both walk the same path.
    const replay = await git('bisect', 'replay', log);
    expect(replay.exitCode).toBe(1);
    const run = await git('bisect', 'run', 'sh', oracle);
    const gitTested = [...(await git('bisect', 'log')).stdout.matchAll(/^git bisect (?:good|bad|skip) ([0-9a-f]{40})$/gm)].map((m) => m[1]!);
    await git('bisect', 'reset');
    let out = '';
    await runCommand(['--repo', fx.dir, '--import-log', log, '--test-cmd', `sh ${oracle}`, '--json', '--cache-dir', join(work, 'cache')], { out: (s) => (out += s), err: () => undefined });
    const ours = JSON.parse(out) as { culprit?: string; steps: number; verdicts: { commit: string; source: string }[] };
    expect(run.stdout).toContain(`${fx.shas[7]} is the first bad commit`);
    expect(ours.culprit).toBe(fx.shas[7]);
    expect(gitTested[0]).toBe(fx.shas[4]);
    expect(ours.verdicts.filter((v) => v.source === 'probe').map((v) => v.commit)).toEqual(gitTested.slice(1));
    expect(ours.verdicts.filter((v) => v.commit === fx.shas[4])).toMatchObject([{ source: 'log' }]);
    expect(ours.steps).toBe(gitTested.length - 1);
  });

  it('a good that descends from bad is still refused as swapped ends', async () => {
    const oracle = await oracleFor(7, []);
    await expect(kbisect(fx.shas[5]!, fx.shas[9]!, oracle)).rejects.toThrow(/did you swap good and bad/);
  });
});
