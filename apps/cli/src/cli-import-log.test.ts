/**
 * --import-log honours the log's start (issue 14.3): its ends and
 * --first-parent, from logs real `git bisect` wrote. The continuation tests
 * the same commits and ends on the same answer as `git bisect replay` + `git
 * bisect run`; flags that contradict the log are refused with the reason.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendantsOf } from '@kbisect/bisect/testing';
import { oracleScript, writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';
import { handLogs, MERGED_SIDE_HISTORY, SIDE_CULPRIT, type HandLogs } from '../../../test/support/hand-bisect-log.js';
import { runCommand } from './commands/run.js';

const history = MERGED_SIDE_HISTORY;
const culprit = SIDE_CULPRIT; // first-parent bisection blames the merge (15)
let fx: GitFixture;
let work: string;
let oracle: string;
let handLog: HandLogs['handLog'];
let gitContinues: HandLogs['gitContinues'];

beforeAll(async () => {
  fx = await writeGitHistory(history);
  work = await mkdtemp(join(tmpdir(), 'kbisect-import-'));
  await writeFile(join(work, 'bad.txt'), [...descendantsOf(history, culprit)].map((i) => fx.shas[i]).join('\n') + '\n');
  await writeFile(join(work, 'skip.txt'), '\n');
  oracle = join(work, 'oracle.sh');
  await writeFile(oracle, oracleScript(join(work, 'bad.txt'), join(work, 'skip.txt')), { mode: 0o755 });
  ({ handLog, gitContinues } = handLogs(fx.dir, oracle, work));
});
afterAll(async () => {
  await fx.cleanup();
  await rm(work, { recursive: true, force: true });
});

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
