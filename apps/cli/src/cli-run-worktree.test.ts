/**
 * `kbisect run`'s one worktree per bisection, end to end with the built
 * command and real git: a test that dirties the tree in every way git knows
 * never sees an earlier step's dirt, the worktree is gone at the end (also
 * when the run aborts), and two runs at once on one mirror never share it.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf, generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { oracleScript, writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
const history = generateHistory(seededRandom(7), { commits: 120 });
const culprit = 61;
let fx: GitFixture;
let work: string;
let oracle: string;
let dirty: string;

/**
 * Logs the worktree it runs in and anything an earlier step left (a revert
 * step's own staged revert excepted), then leaves dirt of every kind: a
 * tracked edit (staged) and deletion, untracked files, ignored files (a build),
 * and answers from the oracle. $1: where to log; $2: exit with this instead.
 */
const DIRTY = `#!/bin/sh
h=$(git rev-parse HEAD)
echo "$(pwd)" >> "$1.dirs"
if ! git rev-parse -q --verify REVERT_HEAD >/dev/null; then
  left=$(git status --porcelain --ignored --untracked-files=all)
  [ -z "$left" ] || printf '%s\\n%s\\n' "$h" "$left" >> "$1.leaks"
fi
exclude="$(git rev-parse --git-common-dir)/info/exclude"
grep -qx '*.o' "$exclude" 2>/dev/null || echo '*.o' >> "$exclude"
echo dirt >> file-0.txt && git add file-0.txt
rm -f file-1.txt
echo u > untracked.txt
mkdir -p obj/deep && echo o > obj/deep/x.o && echo o > y.o
[ -n "$2" ] && exit "$2"
exec sh ORACLE
`;

beforeAll(async () => {
  // A file per commit: reverting the culprit on the bad end applies cleanly.
  fx = await writeGitHistory(history, { files: 1000 });
  work = await mkdtemp(join(tmpdir(), 'kbisect-cli-wt-'));
  await writeFile(join(work, 'bad.txt'), [...descendantsOf(history, culprit)].map((i) => fx.shas[i]).join('\n') + '\n');
  await writeFile(join(work, 'skip.txt'), '');
  oracle = join(work, 'oracle.sh');
  await writeFile(oracle, oracleScript(join(work, 'bad.txt'), join(work, 'skip.txt')), { mode: 0o755 });
  dirty = join(work, 'dirty.sh');
  await writeFile(dirty, DIRTY.replace('ORACLE', oracle), { mode: 0o755 });
});

afterAll(async () => {
  await fx.cleanup();
  await rm(work, { recursive: true, force: true });
});

const cache = (): string => join(work, 'cache');
const kbisect = (args: string[]) => execa('node', [BIN, ...args], { cwd: work, reject: false, env: { KBISECT_CACHE_DIR: cache() } });
const lines = async (path: string): Promise<string[]> => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');

/** No worktree dir left under the cache, and none registered in any mirror. */
async function expectNoWorktrees(): Promise<void> {
  expect(await readdir(join(cache(), 'worktrees')).catch(() => [])).toEqual([]);
  for (const mirror of await readdir(join(cache(), 'mirrors'))) {
    const list = await execa('git', ['-C', join(cache(), 'mirrors', mirror), 'worktree', 'list', '--porcelain']);
    expect(list.stdout.split('\n').filter((l) => l.startsWith('worktree '))).toHaveLength(1);
  }
}

describe('kbisect run moves one worktree from commit to commit', () => {
  it('a test that leaves tracked edits, untracked and ignored files never sees them at the next step, revert check included; the worktree goes at the end', async () => {
    const log = join(work, 'clean');
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${dirty} ${log}`, '--verify-revert', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as { culprit?: string; steps: number; verdicts: { purpose?: string }[] };
    expect(result.culprit).toBe(fx.shas[culprit]);
    expect(result.verdicts.some((v) => v.purpose === 'verify-revert')).toBe(true);
    const dirs = await lines(`${log}.dirs`);
    expect(dirs.length).toBe(result.steps);
    expect(new Set(dirs).size).toBe(1);
    expect(dirs[0]).toMatch(/\/worktrees\/[0-9a-f-]{36}$/);
    expect(await lines(`${log}.leaks`)).toEqual([]);
    await expectNoWorktrees();
  }, 120_000);

  it('removes the worktree when the run aborts on the test\'s exit code', async () => {
    const log = join(work, 'abort');
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${dirty} ${log} 200`, '--json']);
    expect(res.exitCode).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ status: 'failed' });
    expect(await lines(`${log}.dirs`)).toHaveLength(1);
    await expectNoWorktrees();
  }, 60_000);

  it('removes the worktree when the run is interrupted mid-test', async () => {
    const started = join(work, 'started');
    const run = execa('node', [BIN, 'run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `touch ${started}; exec sleep 30`], { cwd: work, reject: false, env: { KBISECT_CACHE_DIR: cache() } });
    for (let i = 0; i < 200 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(started)).toBe(true);
    expect(await readdir(join(cache(), 'worktrees'))).toHaveLength(1);
    run.kill('SIGTERM');
    const res = await run;
    expect(res.exitCode).toBe(143);
    await expectNoWorktrees();
  }, 60_000);

  it('two runs at once on the same mirror each keep their own worktree and reach the same answer', async () => {
    // Create the mirror first, so both runs only fetch into it.
    await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', 'exit 200']);
    const [a, b] = await Promise.all(['a', 'b'].map((name) => kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${dirty} ${join(work, name)}`, '--json'])));
    expect(a!.exitCode, a!.stderr).toBe(0);
    expect(b!.exitCode, b!.stderr).toBe(0);
    expect(JSON.parse(a!.stdout)).toMatchObject({ culprit: fx.shas[culprit] });
    expect(JSON.parse(b!.stdout)).toMatchObject({ culprit: fx.shas[culprit] });
    const dirsA = new Set(await lines(join(work, 'a.dirs')));
    const dirsB = new Set(await lines(join(work, 'b.dirs')));
    expect([dirsA.size, dirsB.size]).toEqual([1, 1]);
    expect([...dirsA][0]).not.toBe([...dirsB][0]);
    expect(await lines(join(work, 'a.leaks'))).toEqual([]);
    expect(await lines(join(work, 'b.leaks'))).toEqual([]);
    await expectNoWorktrees();
  }, 120_000);
});
