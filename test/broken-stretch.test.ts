/**
 * Issue 14.1: a BROKEN stretch on a merged branch, the bug inside it.
 * `kbisect run --require-config` must end "could be any of" the stretch plus
 * the re-enable commit — never "re-enable THP" alone — test no stretch
 * commit, and agree with `git bisect run` given a perfect untestable oracle
 * (exit 125 on the stretch). Real git, real worktrees, the CLI's own code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../apps/cli/src/commands/run.js';
import { GIT_ENV, gitBisectRun } from './support/git-fixture.js';
import { STRETCH_TEST, writeStretchRepo, type StretchShape } from './support/thp-stretch-fixture.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kbisect-stretch-run-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface RunJson { status: string; culprit?: string; candidates?: string[]; verdicts: { commit: string; source?: string }[] }

describe.each([
  ['side', false],
  ['first-parent', false],
  ['side', true],
  ['first-parent', true],
] as [StretchShape, boolean][])('the BROKEN stretch on the %s line (--first-parent: %s)', (shape, firstParent) => {
  it('is stepped around, untested, and the answer equals git bisect run with a perfect oracle', async () => {
    const fx = await writeStretchRepo(shape);
    try {
      let out = '';
      const code = await runCommand(
        ['--repo', fx.dir, '--good', fx.good, '--bad', fx.bad, '--test-cmd', STRETCH_TEST, '--require-config', 'CONFIG_TRANSPARENT_HUGEPAGE', '--json', '--cache-dir', join(work, 'cache'), ...(firstParent ? ['--first-parent'] : [])],
        { out: (s) => (out += s), err: () => undefined },
      );
      expect(code).toBe(0);
      const result = JSON.parse(out) as RunJson;
      const tested = result.verdicts.filter((v) => v.source === 'probe').map((v) => v.commit);
      for (const s of fx.stretch) expect(tested).not.toContain(s);

      const descendants = (await execa('git', ['-C', fx.dir, 'rev-list', '--ancestry-path', `${fx.culprit}..${fx.bad}`], { env: GIT_ENV })).stdout.split('\n');
      const git = await gitBisectRun(fx.dir, { bad: fx.bad, good: fx.good, badSet: [fx.culprit, ...descendants].filter((c) => !fx.stretch.includes(c)), skipSet: fx.stretch, firstParent, scratch: work });
      expect(result.status).toBe(git.status);
      expect(result.culprit).toBe(git.culprit);
      expect([...(result.candidates ?? [])].sort()).toEqual([...(git.candidates ?? [])].sort());
      expect(tested).toEqual(git.tested.filter((c) => !fx.stretch.includes(c)));

      if (firstParent && shape === 'side') {
        // Only first parents are candidates: the merge that brought the bug in.
        expect(result).toMatchObject({ status: 'found', culprit: fx.merge });
      } else {
        expect(result.status).toBe('ambiguous');
        expect([...result.candidates!].sort()).toEqual([...fx.stretch, fx.reenable].sort());
      }
    } finally {
      await fx.cleanup();
    }
  });
});
