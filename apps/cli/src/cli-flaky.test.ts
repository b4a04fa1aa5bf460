/**
 * Flaky reproducers and fix bisection through `kbisect run`, end to end: a
 * real repository where one commit adds a BUG file, a test that shows it only
 * every other run, Bayesian search, verification and a revert check.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bugFileRepo, type BugFileRepo } from '../../../test/support/bug-file-repo.js';

const BIN = resolve(import.meta.dirname, '../bin/kbisect.js');
let fixture: BugFileRepo;
let dir: string;
let repo: string;
let shas: readonly string[];

beforeAll(async () => {
  fixture = await bugFileRepo('kbisect-flaky-');
  ({ dir, repo, shas } = fixture);
});
afterAll(async () => {
  await fixture.cleanup();
});

const kbisect = (args: string[]) => execa('node', [BIN, ...args], { reject: false, env: { KBISECT_CACHE_DIR: join(dir, 'cache') } });

describe('flaky reproducers', () => {
  it('finds and verifies the culprit with --policy bayes --verify-revert when the bug shows every other run', async () => {
    const counter = join(dir, 'counter');
    await writeFile(counter, '0\n');
    // Shows the bug on even-numbered runs only: detection 0.5, deterministic for the test.
    const test = `n=$(cat ${counter}); echo $((n + 1)) > ${counter}; if [ -f BUG ] && [ $((n % 2)) -eq 0 ]; then exit 1; fi; exit 0`;
    const res = await kbisect(['run', '--repo', repo, '--good', shas[0]!, '--bad', shas[23]!, '--test-cmd', test, '--policy', 'bayes', '--confidence', '0.999', '--verify-revert', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as { status: string; culprit: string; confidence: number; runs: { commit: string; outcomes: string[] }[]; verification: { culprit: { outcome: string }; parents: { outcome: string }; revert: { outcome: string; failures: number; baselineFailures: number; pValue: number } } };
    expect(result.status).toBe('found');
    expect(result.culprit).toBe(shas[17]);
    expect(result.confidence).toBeGreaterThanOrEqual(0.999);
    expect(result.runs.find((r) => r.commit === shas[17])!.outcomes.length).toBeGreaterThan(1);
    expect(result.verification.culprit.outcome).toBe('confirmed');
    expect(result.verification.parents.outcome).toBe('confirmed');
    expect(result.verification.revert.outcome).toBe('fixed');
    expect(result.verification.revert.failures).toBe(0);
    expect(result.verification.revert.baselineFailures).toBeGreaterThan(0);
    expect(res.stderr).toMatch(/verify-revert with [0-9a-f]{12} reverted/);
  }, 120_000);

  it('takes --false-positive: a clean commit that once shows the bug does not take the blame', async () => {
    const served = join(dir, 'false-positives');
    await writeFile(served, '');
    // The bug shows on every run where it is; a clean commit shows it once (the very first clean run), never again.
    const test = `if [ -f BUG ]; then exit 1; fi; if [ ! -s ${served} ]; then echo "$(git rev-parse HEAD)" > ${served}; exit 1; fi; exit 0`;
    const args = ['run', '--repo', repo, '--good', shas[0]!, '--bad', shas[23]!, '--test-cmd', test, '--policy', 'bayes', '--detection', '1', '--json'];
    const trusting = await kbisect(args);
    expect(trusting.exitCode, trusting.stderr).toBe(0);
    const blamed = (await readFile(served, 'utf8')).trim();
    expect(shas.indexOf(blamed)).toBeLessThan(17);
    // Without the option a run that shows the bug is taken at its word: the clean commit is blamed (or one before it).
    expect(shas.indexOf((JSON.parse(trusting.stdout) as { culprit: string }).culprit)).toBeLessThanOrEqual(shas.indexOf(blamed));
    await writeFile(served, '');
    const res = await kbisect([...args, '--false-positive', '0.2']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect((await readFile(served, 'utf8')).trim()).toMatch(/^[0-9a-f]{40}$/);
    expect(JSON.parse(res.stdout)).toMatchObject({ status: 'found', culprit: shas[17], policy: 'bayes' });
  }, 120_000);

  it('refuses an out-of-range policy setting with one line', async () => {
    const res = await kbisect(['run', '--repo', repo, '--good', shas[0]!, '--bad', shas[23]!, '--test-cmd', 'true', '--policy', 'bayes', '--confidence', '2']);
    expect(res.exitCode).toBe(2);
    expect(res.stderr.trim()).toMatch(/^kbisect run: --confidence must be between/);
  });
});

describe('fix bisection', () => {
  it('finds the first commit where the bug is gone, with a log git bisect replay accepts', async () => {
    const log = join(dir, 'fix.log');
    const res = await kbisect(['run', '--repo', repo, '--fix', '--bad', shas[18]!, '--good', shas[29]!, '--test-cmd', 'test ! -f BUG', '--json', '--write-log', log]);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ status: 'found', culprit: shas[24] });
    const replay = await execa('git', ['-C', repo, 'bisect', 'replay', log], { reject: false });
    await execa('git', ['-C', repo, 'bisect', 'reset']);
    expect(replay.stdout).toContain(`${shas[24]} is the first fixed commit`);
    const human = await kbisect(['run', '--repo', repo, '--fix', '--bad', shas[18]!, '--good', shas[29]!, '--test-cmd', 'test ! -f BUG']);
    expect(human.stdout).toContain(`${shas[24]} is the first fixed commit`);
  }, 60_000);
});
