/**
 * openRange against real git: a range over `maxCommits` is refused with its
 * count before its graph is read, whatever the ends (several goods, a fix).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { openRepo, validateRepoSource, type GitRepo } from '@kbisect/git';
import { writeGitHistory, type GitFixture } from '../../../../test/support/git-fixture.js';
import { openRange, type RangeGit, type RangeRequest } from './open-range.js';
import { RangeTooLargeError } from './range-too-large-error.js';

const history = generateHistory(seededRandom(15), { commits: 80, forkRate: 0.2, mergeRate: 0.2 });
let fx: GitFixture;
let cache: string;
let repo: GitRepo;

beforeAll(async () => {
  fx = await writeGitHistory(history);
  cache = await mkdtemp(join(tmpdir(), 'kbisect-range-'));
  repo = await openRepo(validateRepoSource(fx.dir), { cacheDir: cache });
});
afterAll(async () => {
  await fx.cleanup();
  await rm(cache, { recursive: true, force: true });
});

/** The real repository, counting how often the graph is read. */
function watched(): { git: RangeGit; reads: () => number } {
  let reads = 0;
  const git: RangeGit = {
    resolveCommit: (ref, field) => repo.resolveCommit(ref, field),
    mergeBasesToCheck: (bad, goods, refs) => repo.mergeBasesToCheck(bad, goods, refs),
    countRange: (bad, goods) => repo.countRange(bad, goods),
    readGraph: (bad, goods) => {
      reads += 1;
      return repo.readGraph(bad, goods);
    },
  };
  return { git, reads: () => reads };
}

const fields = { bad: 'bad', good: (i: number) => `good[${i}]` };

describe('openRange with a commit limit', () => {
  const cases: { name: string; range: () => Omit<RangeRequest, 'fields' | 'maxCommits'> }[] = [
    { name: 'one good', range: () => ({ bad: fx.shas[history.tip]!, good: [fx.shas[0]!] }) },
    { name: 'several goods', range: () => ({ bad: fx.shas[history.tip]!, good: [fx.shas[5]!, fx.shas[30]!, fx.shas[55]!] }) },
    { name: 'a fix (the ends swap)', range: () => ({ bad: fx.shas[0]!, good: [fx.shas[history.tip]!], terms: 'fix' as const }) },
  ];
  for (const { name, range } of cases) {
    it(`${name}: refuses a range over the limit with its count before reading the graph, and opens one at the limit`, async () => {
      const full = await openRange(repo, { ...range(), fields });
      const size = full.graph.commits.length;
      expect(size).toBeGreaterThan(10);

      const over = watched();
      const refused = await openRange(over.git, { ...range(), fields, maxCommits: size - 1 }).then(() => undefined, (err: unknown) => err);
      expect(refused).toBeInstanceOf(RangeTooLargeError);
      expect((refused as Error).message).toBe(`the range has ${size} commits, over this token's limit of ${size - 1}; narrow it with a later good or an earlier bad`);
      expect(over.reads()).toBe(0);

      const at = watched();
      expect((await openRange(at.git, { ...range(), fields, maxCommits: size })).graph).toEqual(full.graph);
      expect(at.reads()).toBe(1);
    });
  }
});
