/**
 * `kbisect run --parallel K` end to end with the built command and real git:
 * up to K test commands at once, each in its own worktree, the culprit (or,
 * with skips, an honest "could be any of" set) as `git bisect run` finds it,
 * moot tests stopped, and every worktree gone at the end.
 */
import { readdir, readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf, generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { gitBisectRun, oracleScript, writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';
import { maxConcurrent } from '../../../test/support/concurrency.js';
import { startBarrier } from '../../../test/support/start-barrier.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
const history = generateHistory(seededRandom(31), { commits: 400, forkRate: 0.1, mergeRate: 0.1 });
const culprit = 233;
let fx: GitFixture;
let work: string;

/** Logs "start|released|end <ms> <worktree> <commit>" around a 0.4 s test that asks the oracle, the first three held until all three started. $1: the log; $2: the oracle. */
const TIMED = `#!/bin/sh
h=$(git rev-parse HEAD)
echo "start $(date +%s%3N) $(pwd) $h" >> "$1"
${startBarrier('"$1"', 3, '$(pwd) $h')}sleep 0.4
sh "$2"; code=$?
echo "end $(date +%s%3N) $(pwd) $h" >> "$1"
exit $code
`;

beforeAll(async () => {
  fx = await writeGitHistory(history);
  work = await mkdtemp(join(tmpdir(), 'kbisect-cli-par-'));
  await writeFile(join(work, 'bad.txt'), [...descendantsOf(history, culprit)].map((i) => fx.shas[i]).join('\n') + '\n');
  await writeFile(join(work, 'timed.sh'), TIMED, { mode: 0o755 });
});

afterAll(async () => {
  await fx.cleanup();
  await rm(work, { recursive: true, force: true });
});

const cache = (): string => join(work, 'cache');
const kbisect = (args: string[]) => execa('node', [BIN, ...args], { cwd: work, reject: false, env: { KBISECT_CACHE_DIR: cache() }, timeout: 240_000 });

async function oracleWithSkips(name: string, skips: readonly string[]): Promise<string> {
  await writeFile(join(work, `${name}.skip`), skips.join('\n') + '\n');
  const path = join(work, `${name}.oracle.sh`);
  await writeFile(path, oracleScript(join(work, 'bad.txt'), join(work, `${name}.skip`)), { mode: 0o755 });
  return path;
}

describe('kbisect run --parallel', () => {
  it('runs 3 tests at once in 3 worktrees and finds git bisect run\'s culprit; the worktrees go at the end', async () => {
    const log = join(work, 'par.log');
    const oracle = await oracleWithSkips('par', []);
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${join(work, 'timed.sh')} ${log} ${oracle}`, '--parallel', '3', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const scratch = await mkdtemp(join(tmpdir(), 'kbisect-git-'));
    const git = await gitBisectRun(fx.dir, { bad: fx.shas[history.tip]!, good: fx.shas[0]!, badSet: (await readFile(join(work, 'bad.txt'), 'utf8')).split('\n').filter(Boolean), skipSet: [], scratch });
    await rm(scratch, { recursive: true, force: true });
    const result = JSON.parse(res.stdout) as { status: string; culprit?: string; steps: number };
    expect(result).toMatchObject({ status: 'found', culprit: git.culprit });
    expect(git.culprit).toBe(fx.shas[culprit]);
    const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    expect(maxConcurrent(lines), lines.join('\n')).toBe(3);
    const dirs = new Set(lines.map((l) => l.split(' ')[2]));
    expect(dirs.size).toBe(3);
    for (const d of dirs) expect(d).toMatch(/\/worktrees\/[0-9a-f-]{36}(-[12])?$/);
    // Each test saw its own commit checked out in its own worktree.
    for (const l of lines) expect(fx.shas).toContain(l.split(' ')[3]);
    expect(res.stderr).toMatch(/cancelled \(moot/);
    expect(await readdir(join(cache(), 'worktrees')).catch(() => [])).toEqual([]);
  }, 240_000);

  it('with skipped commits around the culprit the answer is an honest set that holds it', async () => {
    const skips = [culprit, ...history.parents[culprit]!].map((i) => fx.shas[i]!);
    const oracle = await oracleWithSkips('skips', skips);
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${oracle}`, '--parallel', '4', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as { status: string; candidates?: string[] };
    expect(result.status).toBe('ambiguous');
    expect(result.candidates).toContain(fx.shas[culprit]);
  }, 240_000);

  it.each([
    [['--parallel', '0'], "--parallel: '0' is not an integer from 1 to 64"],
    [['--parallel', 'many'], "--parallel: 'many' is not an integer from 1 to 64"],
  ])('refuses %j with a message naming the flag', async (flags, message) => {
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', 'true', ...flags]);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toContain(message);
  }, 60_000);
});
