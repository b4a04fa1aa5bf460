/**
 * The service's command tests on reusable checkouts: every test starts from
 * its commit's exact tree although the one before it dirtied the same
 * worktree, each test slot keeps one worktree per repository, two tests never
 * share one at the same time, and stopping the workers removes them. Real
 * Redis, real git, the real test worker (issue 14.5).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { mirrorPathFor, validateRepoSource } from '@kbisect/git';
import { oracleRepo, startHarness, waitForEnd, type OracleRepo } from './support/service-harness.js';

interface View { status: string; culprit?: string; error?: string }


/**
 * Logs what the test found (its directory, HEAD, the commit it was given, how
 * many paths git sees beside HEAD's tree), then leaves a mess: an untracked
 * file, an ignored-looking build dir, an edited and a deleted tracked file.
 */
const DIRTY_TEST = `#!/bin/sh
log=$1
left=$(GIT_OPTIONAL_LOCKS=0 git status --porcelain --ignored --untracked-files=all | wc -l)
echo "start $(date +%s%N) $KBISECT_BISECTION $(pwd) $(git rev-parse HEAD) $KBISECT_COMMIT $left" >> "$log"
echo junk > junk.txt
mkdir -p out/deep && echo o > out/deep/x.o
echo edited >> file-0.txt
rm -f file-1.txt
sh "$2"; rc=$?
echo "end $(date +%s%N) $KBISECT_BISECTION $(pwd) $KBISECT_COMMIT" >> "$log"
exit $rc
`;

interface Run { bisection: string; dir: string; start: bigint; end: bigint; head: string; commit: string; left: number }

async function runsOf(log: string): Promise<Run[]> {
  const runs: Run[] = [];
  const open = new Map<string, Run>();
  for (const line of (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '')) {
    const f = line.split(' ');
    // A bisection may test two commits at once (k follows the test slots): a run is its bisection and commit.
    if (f[0] === 'start') open.set(`${f[2]} ${f[5]}`, { bisection: f[2]!, start: BigInt(f[1]!), dir: f[3]!, head: f[4]!, commit: f[5]!, left: Number(f[6]), end: -1n });
    else {
      const key = `${f[2]} ${f[4]}`;
      const run = open.get(key);
      if (!run) throw new Error(`an end without its start: ${line}`);
      open.delete(key);
      runs.push({ ...run, end: BigInt(f[1]!) });
    }
  }
  return runs;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 120_000);

describe('command tests on reusable checkouts', () => {
  it('clean trees every test, one worktree per slot and repository, never two tests in one at once, removed at shutdown', async () => {
    // The probes time themselves against each other in one log outside their worktrees, which the sandbox
    // (rightly) lets no probe write; what is tested here is the scheduling, the sandbox has its own tests
    // (service-sandbox, evil-tree).
    const h = await startHarness('test-checkouts', { env: { KBISECT_TEST_CONCURRENCY: '2', KBISECT_SANDBOX: 'off' } });
    cleanups.push(() => h.close());
    const history = { parents: Array.from({ length: 40 }, (_, i) => (i === 0 ? [] : [i - 1])), tip: 39 };
    const repos: OracleRepo[] = [await oracleRepo(history, 23, []), await oracleRepo(history, 9, [])];
    for (const r of repos) cleanups.push(() => r.cleanup());
    const submit = async (r: OracleRepo): Promise<string> => {
      const script = join(r.scratch, 'dirty.sh');
      await writeFile(script, DIRTY_TEST);
      const command = `sh ${script} ${join(r.scratch, 'runs.log')} ${r.script}`;
      return (await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: await h.registerTree(r.fx.dir), good: [r.fx.shas[0]!], bad: 'main', probe: { type: 'command', command } })).body.id;
    };
    // Two bisections of one repository and one of another, all at once, on two slots.
    const ids = await Promise.all([submit(repos[0]!), submit(repos[0]!), submit(repos[1]!)]);
    const views = await Promise.all(ids.map((id) => waitForEnd<View>(h, id, 90_000)));
    expect(views.map((v) => [v.status, v.culprit])).toEqual([['found', repos[0]!.fx.shas[23]], ['found', repos[0]!.fx.shas[23]], ['found', repos[1]!.fx.shas[9]]]);

    for (const r of repos) {
      const runs = await runsOf(join(r.scratch, 'runs.log'));
      expect(runs.length).toBeGreaterThan(4);
      for (const run of runs) {
        // Its own commit's tree, with nothing the previous test left.
        expect([run.head, run.left]).toEqual([run.commit, 0]);
        expect(run.dir).toMatch(new RegExp(`^${h.cacheDir}/test-checkouts/[^/]+/slot-[01]/[0-9a-f]{16}$`));
      }
      const dirs = [...new Set(runs.map((run) => run.dir))];
      expect(dirs.length).toBeLessThanOrEqual(2);
      // No two tests in one worktree at the same time.
      for (const dir of dirs) {
        const inDir = runs.filter((run) => run.dir === dir).sort((a, b) => (a.start < b.start ? -1 : 1));
        for (let i = 1; i < inDir.length; i++) expect(inDir[i]!.start).toBeGreaterThan(inDir[i - 1]!.end);
      }
    }
    // The repositories' worktrees are distinct directories.
    const [a, b] = await Promise.all(repos.map(async (r) => new Set((await runsOf(join(r.scratch, 'runs.log'))).map((run) => run.dir.split('/').at(-1)))));
    expect([...a!].some((x) => b!.has(x))).toBe(false);

    await h.stopWorkers();
    for (const r of repos) {
      const mirror = mirrorPathFor(h.cacheDir, validateRepoSource(r.fx.dir));
      expect((await execa('git', ['--git-dir', mirror, 'worktree', 'list', '--porcelain'])).stdout).not.toContain(join(h.cacheDir, 'test-checkouts'));
    }
    const hostDir = join(h.cacheDir, 'test-checkouts', (await readdir(join(h.cacheDir, 'test-checkouts')))[0]!);
    for (const slot of ['slot-0', 'slot-1']) expect(existsSync(join(hostDir, slot)) ? await readdir(join(hostDir, slot)) : []).toEqual([]);
  }, 150_000);
});
