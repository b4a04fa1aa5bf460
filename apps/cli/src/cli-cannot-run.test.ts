/**
 * Exit 126/127 against real `git bisect run` (issue 14.2): a command that
 * cannot run aborts with the reason instead of blaming the first commit; a
 * command that means 127 as "bad" gets git's answer, over the same commits.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedHistory } from '@kbisect/bisect/testing';
import { GIT_ENV, writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';
import { runCommand } from './commands/run.js';

const history: GeneratedHistory = { parents: Array.from({ length: 24 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 23 };
let fx: GitFixture;
let work: string;

beforeAll(async () => {
  fx = await writeGitHistory(history);
  work = await mkdtemp(join(tmpdir(), 'kbisect-127-'));
  await writeFile(join(work, 'bad.txt'), fx.shas.slice(9).join('\n') + '\n');
  await writeFile(join(work, 'not-executable.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
});
afterAll(async () => {
  await fx.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function kbisect(cmd: string): Promise<{ code: number; result: { status: string; culprit?: string; error?: string; verdicts: { commit: string; source: string }[] } }> {
  let out = '';
  const code = await runCommand(['--repo', fx.dir, '--good', fx.shas[0]!, '--bad', fx.shas[23]!, '--test-cmd', cmd, '--json', '--cache-dir', join(work, 'cache')], { out: (s) => (out += s), err: () => undefined });
  return { code, result: JSON.parse(out) as never };
}

async function gitBisect(cmd: string): Promise<{ output: string; tested: string[] }> {
  await execa('git', ['-C', fx.dir, 'bisect', 'start', fx.shas[23]!, fx.shas[0]!], { env: GIT_ENV });
  const run = await execa('git', ['-C', fx.dir, 'bisect', 'run', 'sh', '-c', cmd], { env: GIT_ENV, reject: false, all: true });
  const log = await execa('git', ['-C', fx.dir, 'bisect', 'log'], { env: GIT_ENV });
  await execa('git', ['-C', fx.dir, 'bisect', 'reset'], { env: GIT_ENV });
  return { output: run.all, tested: [...log.stdout.matchAll(/^git bisect (?:good|bad|skip) ([0-9a-f]{40})$/gm)].map((m) => m[1]!) };
}

describe('a test command that cannot run', () => {
  it.each([
    ['a missing script', './no-such-test.sh', 127, 'command not found'],
    ['a script without the x bit', '__WORK__/not-executable.sh', 126, 'found but not executable'],
  ])('%s aborts with the reason, where git says "bogus exit code"', async (_name, template, code, words) => {
    const cmd = template.replace('__WORK__', work);
    const ours = await kbisect(cmd);
    expect(ours.code).toBe(1);
    expect(ours.result.status).toBe('failed');
    expect(ours.result.culprit).toBeUndefined();
    expect(ours.result.error).toMatch(new RegExp(`test command could not run: it exited ${code} \\(${words}\\) at [0-9a-f]{12} and again at the good commit ${fx.shas[0]!.slice(0, 12)}`));
    const git = await gitBisect(cmd);
    expect(git.output).toContain(`bogus exit code ${code} for good revision`);
    expect(git.output).not.toMatch(/is the first bad commit/);
  });

  it('a command whose 127 means "bad" is re-checked once, then gets the same culprit over the same commits as git', async () => {
    const cmd = `grep -qx "$(git rev-parse HEAD)" '${join(work, 'bad.txt')}' && exit 127; exit 0`;
    const ours = await kbisect(cmd);
    const git = await gitBisect(cmd);
    expect(git.output).toMatch(new RegExp(`${fx.shas[9]} is the first bad commit`));
    expect(ours.result).toMatchObject({ status: 'found', culprit: fx.shas[9] });
    expect(ours.result.verdicts.filter((v) => v.source === 'probe').map((v) => v.commit)).toEqual(git.tested);
  });
});
