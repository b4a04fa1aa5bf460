/**
 * `kbisect run` end to end: the built command, real git, real worktrees.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf, generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { gitBisectRun, oracleScript, writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
let fx: GitFixture;
let work: string;
let oracle: string;
let culpritSha: string;
const history = generateHistory(seededRandom(42), { commits: 150 });
const culprit = 97;
const skips = [95, 96, 120];

beforeAll(async () => {
  fx = await writeGitHistory(history);
  work = await mkdtemp(join(tmpdir(), 'kbisect-cli-'));
  culpritSha = fx.shas[culprit]!;
  await writeFile(join(work, 'bad.txt'), [...descendantsOf(history, culprit)].map((i) => fx.shas[i]).join('\n') + '\n');
  await writeFile(join(work, 'skip.txt'), skips.map((i) => fx.shas[i]).join('\n') + '\n');
  oracle = join(work, 'oracle.sh');
  await writeFile(oracle, oracleScript(join(work, 'bad.txt'), join(work, 'skip.txt')), { mode: 0o755 });
});

afterAll(async () => {
  await fx.cleanup();
  await rm(work, { recursive: true, force: true });
});

const kbisect = (args: string[], cwd = work) => execa('node', [BIN, ...args], { cwd, reject: false, env: { KBISECT_CACHE_DIR: join(work, 'cache') } });

describe('kbisect run', () => {
  it('--check-endpoints stops before the first step when the good end fails, and proceeds when both ends are right', async () => {
    const failing = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', 'exit 1', '--check-endpoints', '--json']);
    expect(failing.exitCode).not.toBe(0);
    const failed = JSON.parse(failing.stdout) as { status: string; error: string; steps: number; endpoints: { end: string; outcome: string }[] };
    expect(failed).toMatchObject({ status: 'failed', steps: 2 });
    expect(failed.error).toMatch(/the reproducer fails at the good commit .*: it detects an older bug/);
    expect(failed.endpoints.map((e) => `${e.end}:${e.outcome}`)).toEqual(['bad:as-expected', 'good:unexpected']);
    const right = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${oracle}`, '--check-endpoints', '--json']);
    const found = JSON.parse(right.stdout) as { status: string; culprit?: string; candidates?: string[]; endpoints: unknown[] };
    expect(found.endpoints).toHaveLength(2);
    expect(found.culprit ?? found.candidates).toBeDefined();
  });

  it('finds what git bisect run finds, prints only the result JSON with --json, and writes a replayable log', async () => {
    const log = join(work, 'bisect.log');
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', 'main', '--test-cmd', `sh ${oracle}`, '--json', '--write-log', log]);
    expect(res.exitCode).toBe(0);
    const result = JSON.parse(res.stdout) as { status: string; candidates?: string[]; culprit?: string; steps: number; verdicts: { commit: string; verdict: string; reason: string }[] };
    const git = await gitBisectRun(fx.dir, { bad: fx.shas[history.tip]!, good: fx.shas[0]!, badSet: (await readFile(join(work, 'bad.txt'), 'utf8')).trim().split('\n'), skipSet: skips.map((i) => fx.shas[i]!), scratch: work });
    expect(result.status).toBe(git.status);
    expect([...(result.candidates ?? [])].sort()).toEqual([...(git.candidates ?? [])].sort());
    expect(result.culprit).toBe(git.culprit);
    expect(result.steps).toBe(git.tested.length);
    expect(result.candidates ?? [result.culprit]).toContain(culpritSha);
    expect(res.stderr).toMatch(/\[step 1\] testing [0-9a-f]{12}/);

    // git bisect replay accepts the log and lands on the same answer (exit 2 is
    // git's "only skipped commits left", the answer here).
    const replay = await execa('git', ['-C', fx.dir, 'bisect', 'replay', log], { reject: false });
    expect(replay.stderr).not.toMatch(/error|fatal|usage/i);
    const replayed = await execa('git', ['-C', fx.dir, 'bisect', 'log']);
    await execa('git', ['-C', fx.dir, 'bisect', 'reset']);
    for (const v of result.verdicts) expect(replayed.stdout).toContain(`git bisect ${v.verdict} ${v.commit}`);
    for (const c of result.candidates ?? [result.culprit!]) expect(replay.stdout).toContain(c);
  });

  it('continues a bisection begun by hand from its git bisect log', async () => {
    await execa('git', ['-C', fx.dir, 'bisect', 'start', fx.shas[history.tip]!, fx.shas[0]!]);
    const first = (await execa('git', ['-C', fx.dir, 'rev-parse', 'HEAD'])).stdout.trim();
    const firstBad = descendantsOf(history, culprit).has(fx.shas.indexOf(first));
    await execa('git', ['-C', fx.dir, 'bisect', firstBad ? 'bad' : 'good']);
    const handLog = join(work, 'hand.log');
    await writeFile(handLog, (await execa('git', ['-C', fx.dir, 'bisect', 'log'])).stdout + '\n');
    await execa('git', ['-C', fx.dir, 'bisect', 'reset']);
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', fx.shas[history.tip]!, '--test-cmd', `sh ${oracle}`, '--json', '--import-log', handLog]);
    expect(res.exitCode).toBe(0);
    const result = JSON.parse(res.stdout) as { verdicts: { commit: string; source: string }[]; candidates?: string[] };
    expect(result.verdicts[0]).toMatchObject({ commit: first, source: 'log' });
    expect(result.verdicts.filter((v) => v.commit === first)).toHaveLength(1);
    expect(result.candidates).toContain(culpritSha);
  });

  it('aborts on exit codes of 128 and above, as git bisect run does', async () => {
    const res = await kbisect(['run', '--repo', fx.dir, '--good', fx.shas[0]!, '--bad', fx.shas[history.tip]!, '--test-cmd', 'exit 200', '--json']);
    expect(res.exitCode).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ status: 'failed', steps: 0 });
  });
});

describe('kbisect run --require-config', () => {
  it('steps around commits whose Kconfig makes the symbol impossible, without testing them', async () => {
    const { createDemoRepository } = await import('./demo-repository.js');
    const demo = await createDemoRepository(join(work, 'thp'));
    const res = await kbisect(['run', '--repo', demo.dir, '--good', demo.good, '--bad', demo.bad, '--test-cmd', demo.testCommand, '--require-config', 'CONFIG_TRANSPARENT_HUGEPAGE', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as { status: string; candidates: string[]; steps: number; verdicts: { commit: string; reason: string; source: string }[] };
    expect(result.status).toBe('ambiguous');
    expect(result.candidates).toContain(demo.culprit);
    expect(result.candidates).toContain(demo.reenable);
    const auto = result.verdicts.filter((v) => v.source === 'untestable');
    expect(auto.length).toBe(result.candidates.length - 1);
    expect(auto[0]!.reason).toBe('untestable: CONFIG_TRANSPARENT_HUGEPAGE depends on BROKEN at this commit (mm/Kconfig)');
    expect(result.verdicts.filter((v) => v.source === 'probe').every((v) => !v.reason.includes('125'))).toBe(true);
  }, 60_000);
});

describe('kbisect run --untestable force', () => {
  it('drops the BROKEN dependency in each worktree, tests anyway, and marks those verdicts forced', async () => {
    const { createDemoRepository } = await import('./demo-repository.js');
    const demo = await createDemoRepository(join(work, 'thp-force'));
    const res = await kbisect(['run', '--repo', demo.dir, '--good', demo.good, '--bad', demo.bad, '--test-cmd', demo.testCommand, '--require-config', 'CONFIG_TRANSPARENT_HUGEPAGE', '--untestable', 'force', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as { status: string; culprit: string; verdicts: { reason: string }[] };
    expect(result).toMatchObject({ status: 'found', culprit: demo.culprit });
    expect(result.verdicts.some((v) => v.reason.startsWith('forced (CONFIG_TRANSPARENT_HUGEPAGE in mm/Kconfig without BROKEN): exit code'))).toBe(true);
  }, 60_000);
});

describe('kbisect run refuses bad input with one line and runs nothing', () => {
  const marker = (): string => join(work, 'ran');
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown ref', () => ['--good', 'v9.9-nope', '--bad', 'main'], /--good: unknown revision 'v9\.9-nope'/],
    ['a good that descends from bad (swapped ends)', () => ['--good', fx.shas[history.tip]!, '--bad', fx.shas[10]!], /not an ancestor .*did you swap/],
    ['good equal to bad', () => ['--good', 'main', '--bad', 'main'], /same commit|equal/],
    ['a ref that is an option', () => ['--good', '--upload-pack=touch x', '--bad', 'main'], /--good/],
    ['a path that is not a repository', () => ['--repo', work, '--good', 'a', '--bad', 'b'], /not a git repository/],
    ['an ext:: URL', () => ['--repo', 'ext::sh -c touch% /tmp/kbisect-pwned', '--good', 'a', '--bad', 'b'], /--repo/],
    ['a missing --bad', () => ['--good', 'main'], /--bad is required/],
    ['an unknown option', () => ['--good', 'main', '--bad', 'main', '--frobnicate'], /unknown option '--frobnicate'/],
    ['a required symbol that is not a symbol name', () => ['--good', 'main~3', '--bad', 'main', '--require-config', 'THP'], /--require-config: 'THP' is not a kernel config symbol/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const argv = args();
      const withRepo = argv.includes('--repo') ? argv : ['--repo', fx.dir, ...argv];
      const res = await kbisect(['run', ...withRepo, '--test-cmd', `touch ${marker()}`]);
      expect(res.exitCode).not.toBe(0);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(marker())).toBe(false);
      expect(existsSync(join(work, 'x'))).toBe(false);
      expect(existsSync(join(fx.dir, 'x'))).toBe(false);
      expect(existsSync('/tmp/kbisect-pwned')).toBe(false);
    });
  }
});
