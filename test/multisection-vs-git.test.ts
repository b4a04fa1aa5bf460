/**
 * Issue 18's correctness bar for multisection: on generated repositories with
 * merges, for k = 1..8 and random verdict arrival orders (with some cancelled
 * runs landing anyway), kbisect's culprit equals `git bisect run`'s; with
 * skips the answer is an honest ambiguous set holding the true culprit, never
 * a wrong culprit (in --first-parent mode, where the culprit is the
 * first-parent commit that brought the bug in, a found culprit is git's); k = 1 gives git's answer exactly, skips included. The graph
 * is read through packages/git as the drivers read it; every found answer's
 * exported `git bisect log` must replay in git to the same culprit.
 * KBISECT_PROPERTY_CASES raises the number of histories (default 16).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { toBisectLog, type BisectState, type Verdict } from '@kbisect/bisect';
import { descendantsOf, generateHistory, seededRandom, simulateParallel } from '@kbisect/bisect/testing';
import { openRepo } from '@kbisect/git';
import { GIT_ENV, gitBisectRun, writeGitHistory } from './support/git-fixture.js';

const CASES = Number(process.env.KBISECT_PROPERTY_CASES ?? 16);
const sortedJoin = (xs: readonly string[] | undefined): string => [...(xs ?? [])].sort().join();

/** What `git bisect replay` of the exported log names as the first bad commit (late verdicts included in the log's order). */
async function replayedCulprit(repo: string, state: BisectState, scratch: string): Promise<string | undefined> {
  const file = join(scratch, 'bisect.log');
  await writeFile(file, toBisectLog(state));
  const replay = await execa('git', ['-C', repo, 'bisect', 'replay', file], { env: GIT_ENV, reject: false });
  await execa('git', ['-C', repo, 'bisect', 'reset'], { env: GIT_ENV });
  return /^([0-9a-f]{40}) is the first bad commit$/m.exec(replay.stdout)?.[1];
}

describe('multisection against git bisect run', () => {
  it(`on ${CASES} generated histories with merges, k = 1..8, random arrival orders and skip sets`, async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'kbisect-ms-cache-'));
    const problems: string[] = [];
    let checked = 0;
    let lateResults = 0;
    let ambiguous = 0;
    try {
      for (let n = 1; n <= CASES; n++) {
        const seed = 5000 + n;
        const random = seededRandom(seed);
        const history = generateHistory(random, { commits: 150 + Math.floor(random() * 350), forkRate: 0.1, mergeRate: 0.1 });
        const fx = await writeGitHistory(history);
        const scratch = await mkdtemp(join(tmpdir(), 'kbisect-ms-'));
        try {
          const culpritIndex = 1 + Math.floor(random() * (history.parents.length - 1));
          const culprit = fx.shas[culpritIndex]!;
          const badSet = new Set([...descendantsOf(history, culpritIndex)].map((i) => fx.shas[i]!));
          const rate = [0, 0, 0.05, 0.2][n % 4]!;
          const skipSet = new Set(fx.shas.filter((_, i) => i > 0 && i !== history.tip && random() < rate));
          const bad = fx.shas[history.tip]!;
          const good = fx.shas[0]!;
          const firstParent = n % 5 === 0;
          const git = await gitBisectRun(fx.dir, { bad, good, badSet, skipSet, firstParent, scratch });
          const graph = await (await openRepo({ kind: 'path', path: fx.dir }, { cacheDir, fetch: true })).readGraph(bad, [good]);
          const oracle = (s: string): Verdict => (skipSet.has(s) ? 'skip' : badSet.has(s) ? 'bad' : 'good');
          for (let k = 1; k <= 8; k++) {
            const ours = simulateParallel({ graph, bad, goods: [good], parallel: k, firstParent }, oracle, { random: seededRandom(seed * 10 + k), lateResultRate: 0.3 });
            const where = `seed ${seed} k ${k} (${history.parents.length} commits, skip rate ${rate}, first-parent ${firstParent})`;
            checked++;
            lateResults += ours.lateResults;
            if (ours.state.status === 'ambiguous') ambiguous++;
            if (ours.rejections.length > 0) problems.push(`${where}: rejected ${ours.rejections[0]}`);
            const s = ours.state;
            // The exported log replays to the same culprit, runs that landed after they were moot included.
            if (s.status === 'found' && (await replayedCulprit(fx.dir, s, scratch)) !== s.culprit) problems.push(`${where}: git bisect replay of the exported log does not name ${s.culprit}`);
            if (k === 1 || skipSet.size === 0) {
              if (s.status !== git.status || s.culprit !== git.culprit || sortedJoin(s.candidates) !== sortedJoin(git.candidates)) problems.push(`${where}: git ${git.status} ${git.culprit ?? sortedJoin(git.candidates)}, kbisect ${s.status} ${s.culprit ?? sortedJoin(s.candidates)}`);
            } else if (firstParent) {
              // First-parent mode answers with the first-parent commit that brought the bug in, as git does.
              if (s.status === 'found' && git.status === 'found' && s.culprit !== git.culprit) problems.push(`${where}: git ${git.culprit}, kbisect ${s.culprit}`);
            } else if (s.status === 'found' ? s.culprit !== culprit : s.status !== 'ambiguous' || !s.candidates?.includes(culprit)) {
              problems.push(`${where}: dishonest answer ${s.status} ${s.culprit ?? sortedJoin(s.candidates)} (culprit ${culprit})`);
            }
          }
        } finally {
          await fx.cleanup();
          await rm(scratch, { recursive: true, force: true });
        }
      }
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
    expect(checked).toBe(CASES * 8);
    // The races and the skip cases this test is about did happen.
    expect(lateResults).toBeGreaterThan(0);
    expect(ambiguous).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, 900_000);
});
