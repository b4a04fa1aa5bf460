/**
 * `kbisect run --parallel K` with a flaky test, end to end with the built
 * command and real git: `--policy bayes` and `--policy repeat` run up to K
 * tests at once (several runs of one commit among them) and find the culprit.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf, generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';
import { maxConcurrent } from '../../../test/support/concurrency.js';
import { alternatingOracleScript } from '../../../test/support/flaky-oracle-script.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
const history = generateHistory(seededRandom(57), { commits: 120, forkRate: 0.1, mergeRate: 0.1 });
const culprit = 77;
let fx: GitFixture;
let work: string;

beforeAll(async () => {
  fx = await writeGitHistory(history);
  work = await mkdtemp(join(tmpdir(), 'kbisect-cli-parflaky-'));
  await writeFile(join(work, 'bad.txt'), [...descendantsOf(history, culprit)].map((i) => fx.shas[i]).join('\n') + '\n');
});

afterAll(async () => {
  await fx.cleanup();
  await rm(work, { recursive: true, force: true });
});

const kbisect = (args: string[]) => execa('node', [BIN, ...args], { cwd: work, reject: false, env: { KBISECT_CACHE_DIR: join(work, 'cache') }, timeout: 300_000 });

async function flakyTest(name: string): Promise<{ script: string; log: string }> {
  const countsDir = join(work, `${name}.counts`);
  await mkdir(countsDir);
  const log = join(work, `${name}.log`);
  const script = join(work, `${name}.sh`);
  await writeFile(script, alternatingOracleScript({ badFile: join(work, 'bad.txt'), countsDir, log }, 0.2, 3), { mode: 0o755 });
  return { script, log };
}

describe('kbisect run --parallel with a flaky test', () => {
  it.each([
    ['bayes', ['--policy', 'bayes']],
    ['repeat', ['--policy', 'repeat', '--good-after', '6']],
  ])('--policy %s --parallel 3: three tests at once, repeated runs of one commit among them, the true culprit', async (name, flags) => {
    const { script, log } = await flakyTest(name);
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${script}`, '--parallel', '3', ...flags, '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as { status: string; culprit?: string };
    expect(result).toMatchObject({ status: 'found', culprit: fx.shas[culprit] });
    const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    expect(maxConcurrent(lines), lines.join('\n')).toBe(3);
    // Some commit ran more than once at the same time.
    const commits = new Set(lines.map((l) => l.split(' ')[2]));
    expect([...commits].some((c) => maxConcurrent(lines.filter((l) => l.split(' ')[2] === c)) > 1)).toBe(true);
  }, 300_000);
});
