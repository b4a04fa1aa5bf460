// `kbisect run --untestable narrow` against real git on the demo's 2016-shaped history.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoRepository, type DemoRepository } from './demo-repository.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
let work: string;
let demo: DemoRepository;
/** Commits of the range where mm/Kconfig makes THP depend on BROKEN, read from git. */
let stretch: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kbisect-narrow-'));
  demo = await createDemoRepository(join(work, 'thp'));
  const all = (await execa('git', ['-C', demo.dir, 'rev-list', demo.bad, `^${demo.good}`])).stdout.split('\n');
  stretch = [];
  for (const sha of all) {
    const kconfig = (await execa('git', ['-C', demo.dir, 'show', `${sha}:mm/Kconfig`])).stdout;
    if (/depends on .*BROKEN/.test(kconfig)) stretch.push(sha);
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Result {
  status: string;
  candidates: string[];
  steps: number;
  narrowed: { status: string; culprit: string; forced: string[]; steps: number };
  verdicts: { commit: string; verdict: string; reason: string; source: string; purpose?: string }[];
}

describe('kbisect run --untestable narrow', () => {
  it('gives the honest stretch and, beside it, the forced culprit, testing only the stretch forced', async () => {
    expect(stretch.length).toBe(11);
    const log = join(work, 'narrow.log');
    const res = await execa('node', [BIN, 'run', '--repo', demo.dir, '--good', demo.good, '--bad', demo.bad, '--test-cmd', demo.testCommand,
      '--require-config', 'CONFIG_TRANSPARENT_HUGEPAGE', '--untestable', 'narrow', '--write-log', log, '--json'], { reject: false, env: { KBISECT_CACHE_DIR: join(work, 'cache') } });
    expect(res.exitCode, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as Result;
    // The honest answer is git's: the stretch plus "mm: re-enable THP", and no stretch commit was tested honestly.
    expect(result.status).toBe('ambiguous');
    expect([...result.candidates].sort()).toEqual([...stretch, demo.reenable].sort());
    const honest = result.verdicts.filter((v) => v.source === 'probe' && v.purpose === undefined);
    expect(honest.filter((v) => stretch.includes(v.commit))).toEqual([]);
    // The forced answer names the injected culprit, from forced runs of stretch commits only.
    expect(result.narrowed).toMatchObject({ status: 'found', culprit: demo.culprit, forced: ['CONFIG_TRANSPARENT_HUGEPAGE'] });
    const forced = result.verdicts.filter((v) => v.purpose === 'narrow');
    expect(forced.length).toBe(result.narrowed.steps);
    expect(forced.length).toBeGreaterThan(0);
    expect(forced.length).toBeLessThanOrEqual(4); // log2(12) rounded up
    expect(forced.every((v) => stretch.includes(v.commit))).toBe(true);
    expect(forced.every((v) => v.reason.startsWith('forced (CONFIG_TRANSPARENT_HUGEPAGE in mm/Kconfig without BROKEN): exit code'))).toBe(true);
    expect(result.steps).toBe(honest.length + forced.length);
    expect(res.stderr).toMatch(/\(narrowing, forced\)/);

    // The written log replays in real git to the honest answer; forced runs are comments in it.
    const text = await readFile(log, 'utf8');
    expect(text).toContain(`# forced first bad commit: [${demo.culprit}]`);
    const replay = await execa('git', ['-C', demo.dir, 'bisect', 'replay', log], { reject: false });
    await execa('git', ['-C', demo.dir, 'bisect', 'reset'], { reject: false });
    // git exits 2 here: "We cannot bisect more!" is how it ends on only skipped commits.
    expect(replay.stdout).toMatch(/There are only 'skip'ped commits left to test/);
    const gitSet = /could be any of:\n((?:[0-9a-f]{40}\n?)+)/.exec(replay.stdout)?.[1]?.trim().split('\n') ?? [];
    expect(gitSet.sort()).toEqual([...result.candidates].sort());
  }, 90_000);

  it('prints both answers for people, the forced one marked forced', async () => {
    const res = await execa('node', [BIN, 'run', '--repo', demo.dir, '--good', demo.good, '--bad', demo.bad, '--test-cmd', demo.testCommand,
      '--require-config', 'CONFIG_TRANSPARENT_HUGEPAGE', '--untestable', 'narrow'], { reject: false, env: { KBISECT_CACHE_DIR: join(work, 'cache') } });
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/could be any of:/);
    expect(res.stdout).toContain(`${demo.culprit} is the first bad commit (forced)`);
  }, 90_000);

  it('refuses narrow without a symbol to force, in one line', async () => {
    const res = await execa('node', [BIN, 'run', '--repo', demo.dir, '--good', demo.good, '--bad', demo.bad, '--test-cmd', 'true', '--untestable', 'narrow'], { reject: false, env: { KBISECT_CACHE_DIR: join(work, 'cache') } });
    expect(res.exitCode).not.toBe(0);
    expect(res.stderr.trim()).toMatch(/^kbisect run: --untestable narrow needs --require-config$/);
  });
});
