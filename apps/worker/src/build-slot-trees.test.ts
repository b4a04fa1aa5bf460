/**
 * One build slot, two kernel trees built alternately (two registered clones of
 * the demo fixture, reproducers/scripts/make-vfio-demo-fixture.sh): the real
 * build job, git and make, the store on a real Redis namespace. Before slots
 * kept a worktree per mirror, the second tree's first build failed with
 * "reference is not a tree". Real kernel builds (in the real sandbox) take
 * minutes; it runs wherever the 6.1 source is, as the real-kernel e2e test
 * does (ccache in ~/.cache/kbisect/ccache keeps reruns short).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactCache } from '@kbisect/kbuild';
import { openSandbox } from '@kbisect/sandbox';
import { BisectionStore, connectRedis, type BisectionRequest, type LabTestJob } from '@kbisect/service';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { runBuildJob } from './build-step-job.js';
import { gitOpener } from './git-repo-adapter.js';
import { UNSIGNED_KERNEL_PROBES } from './unsigned-trust.test-support.js';

const haveSource = existsSync('/usr/src/linux-source-6.1.tar.xz');
const PROBE: BisectionRequest['probe'] = { type: 'kernel', configFragments: ['qemu-x86_64', 'iommu-vfio', 'thp'], pool: 'virtual', reproducer: { name: 'boot' } };
/** Lines make prints per object it compiles: a full build prints thousands, a step over one mm/ file a handful. */
const compiled = (log: string): number => log.split('\n').filter((l) => /^\s+CC\s/.test(l)).length;

/**
 * Tree b gets a commit tree a lacks (demo change 5 plus a line in mm/mmap.c, tagged b-only),
 * as a second tree has: a worktree of a's mirror cannot check it out.
 */
async function commitOnlyInB(gitDir: string, indexFile: string): Promise<void> {
  const git = (args: string[], input?: string) => execa('git', ['--git-dir', gitDir, ...args], { env: { GIT_INDEX_FILE: indexFile, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org' }, timeout: 120_000, ...(input !== undefined ? { input } : {}) });
  const base = (await git(['rev-parse', ':/mm: demo change 5'])).stdout.trim();
  await git(['read-tree', base]);
  const text = (await git(['show', `${base}:mm/mmap.c`])).stdout;
  const blob = (await git(['hash-object', '-w', '--stdin'], `${text}\n/* tree b only */\n`)).stdout.trim();
  await git(['update-index', '--cacheinfo', `100644,${blob},mm/mmap.c`]);
  const tree = (await git(['write-tree'])).stdout.trim();
  const commit = (await git(['commit-tree', tree, '-p', base, '-m', 'mm: a change only tree b has'])).stdout.trim();
  await git(['tag', 'b-only', commit]);
}

describe.skipIf(!haveSource)('a build slot shared by two trees', () => {
  const ns = uniqueNamespace('slot-trees');
  const redis = connectRedis(REDIS_URL);
  const store = new BisectionStore(redis, ns);
  let scratch: string;
  let trees: { a: string; b: string };
  beforeAll(async () => {
    const fixture = (await execa('bash', [resolve(import.meta.dirname, '../../../reproducers/scripts/make-vfio-demo-fixture.sh')], { timeout: 3_600_000 })).stdout.trim();
    scratch = await mkdtemp(join(tmpdir(), 'kbisect-slot-trees-'));
    trees = { a: join(scratch, 'linux-a.git'), b: join(scratch, 'linux-b.git') };
    for (const dir of Object.values(trees)) await execa('git', ['clone', '--bare', '--quiet', '--', fixture, dir], { timeout: 600_000 });
    await commitOnlyInB(trees.b, join(scratch, 'index-b'));
  }, 3_600_000);
  afterAll(async () => {
    redis.disconnect();
    await dropNamespace(ns);
    await rm(scratch, { recursive: true, force: true });
    // Two kernel trees' worktrees and build dirs: removing them took over a minute on a loaded machine.
  }, 600_000);

  it('builds every commit of either tree in the same slot, and the second build of each tree is incremental', async () => {
    const openRepo = gitOpener(join(scratch, 'cache'));
    const cache = new ArtifactCache(join(scratch, 'artifacts'), 20e9);
    const slot = join(scratch, 'slot-0');
    const ccacheDir = process.env.CCACHE_DIR ?? join(homedir(), '.cache', 'kbisect', 'ccache');
    // The builds run in the real bwrap sandbox, as on a worker.
    const opened = await openSandbox('on', 'kbisect-sandbox');
    expect(opened.status, 'reason' in opened ? opened.reason : '').toBe('ready');
    const { sandbox } = opened;
    const start = async (repo: string): Promise<{ id: string; commits: string[] }> => {
      const git = await openRepo(repo);
      const bad = await git.resolveCommit('demo-bad', 'bad');
      const good = await git.resolveCommit('v6.1-base', 'good');
      const graph = await git.readGraph(bad, [good]);
      const id = await store.create({ repo, good: [good], bad, probe: PROBE }, 'tester', new Date());
      await store.saveGraph(id, graph);
      await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: new Date().toISOString(), bad, goods: [good], commits: graph.commits.length, untestable: {} });
      const bySubject = new Map((graph.subjects ?? []).map((s, i) => [s, graph.commits[i]!]));
      return { id, commits: ['mm: demo change 4', 'mm: demo change 5', 'mm: demo change 6', 'mm: demo change 7'].map((s) => bySubject.get(s)!) };
    };
    const a = await start(trees.a);
    const b = await start(trees.b);
    const build = async (bisection: { id: string }, commit: string): Promise<{ compiled: number; fromCache: boolean }> => {
      const handed: LabTestJob[] = [];
      const outcome = await runBuildJob({ kind: 'build', bisectionId: bisection.id, commit }, {
        store, trust: UNSIGNED_KERNEL_PROBES, sandbox, openRepo, cache, workDir: slot, jobs: 2, ccacheDir, now: () => new Date(), attempt: 1,
        enqueueTest: async (job) => {
          handed.push(job);
        },
      });
      const events = (await store.log.read(bisection.id)).map((e) => e.event);
      expect(events.filter((e) => e.type === 'verdict' || e.type === 'failed'), `build of ${commit} in its tree`).toEqual([]);
      expect(outcome).toBe('built');
      expect(handed).toHaveLength(1);
      const log = await store.getEvidence(bisection.id, handed[0]!.kernel.buildEvidence);
      return { compiled: compiled(log ?? ''), fromCache: handed[0]!.kernel.fromCache };
    };
    // Alternating: a, b, a, b — each build moves its own tree's worktree, never the other's.
    const firstA = await build(a, a.commits[0]!);
    const onlyInB = await (await openRepo(trees.b)).resolveCommit('b-only', 'commit');
    const firstB = await build(b, onlyInB);
    const secondA = await build(a, a.commits[2]!);
    const secondB = await build(b, b.commits[3]!);
    // The figures, for the record in CI logs: objects make compiled in each build.
    console.info(`build slot, two trees: compiled ${firstA.compiled} (a), ${firstB.compiled} (b), then ${secondA.compiled} (a), ${secondB.compiled} (b)`);
    for (const built of [firstA, firstB, secondA, secondB]) expect(built.fromCache).toBe(false);
    // First builds compile the whole kernel (ccache may serve the objects, make still compiles each);
    // second builds recompile only the mm/ files the two commits between them touched.
    expect(firstA.compiled).toBeGreaterThan(300);
    expect(firstB.compiled).toBeGreaterThan(300);
    expect(secondA.compiled).toBeLessThan(30);
    expect(secondB.compiled).toBeLessThan(30);
    expect(await readdir(join(slot, 'trees'))).toHaveLength(2);
  }, 3_600_000);
});
