import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { writeGitHistory, type GitFixture } from '../../../test/support/git-fixture.js';
import { openRepo, type GitRepo } from './git-repo.js';
import { validateRepoSource } from './repo-source.js';

let fx: GitFixture;
let cache: string;
let repo: GitRepo;
const history = generateHistory(seededRandom(9), { commits: 120, forkRate: 0.15, mergeRate: 0.15 });

beforeEach(async () => {
  fx = await writeGitHistory(history);
  cache = await mkdtemp(join(tmpdir(), 'kbisect-git-'));
  repo = await openRepo(validateRepoSource(fx.dir), { cacheDir: cache });
});
afterEach(async () => {
  await fx.cleanup();
  await rm(cache, { recursive: true, force: true });
});

describe('validateRepoSource', () => {
  it.each([
    ['--upload-pack=touch x', /start.* with '-'|starts with '-'/],
    ['ext::sh -c touch% /tmp/pwned', /remote helpers/],
    ['fd::17', /remote helpers/],
    ['http://example.org/linux.git', /scheme 'http' is not allowed/],
    ['ftp://example.org/linux.git', /scheme 'ftp'/],
    ['/srv/linux\n--bare', /control characters/],
    ['', /empty/],
  ])('refuses %j', (source, reason) => {
    expect(() => validateRepoSource(source, 'repo')).toThrow(reason);
  });
  it.each([
    ['https://git.example.org/linux.git', 'url'],
    ['ssh://git@example.org/linux.git', 'url'],
    ['git://example.org/linux.git', 'url'],
    ['git@example.org:linux.git', 'url'],
    ['file:///srv/linux', 'path'],
    ['./linux', 'path'],
    ['/srv/linux', 'path'],
  ])('accepts %j as a %s', (source, kind) => {
    expect(validateRepoSource(source).kind).toBe(kind);
  });
});

describe('GitRepo on a real repository', () => {
  it('reads the range exactly as git rev-list --parents prints it, in one pass', async () => {
    const bad = fx.shas[history.tip]!;
    const good = fx.shas[0]!;
    const graph = await repo.readGraph(bad, [good]);
    const lines = (await execa('git', ['-C', fx.dir, 'rev-list', '--parents', bad, '--not', good])).stdout.split('\n');
    expect(graph.commits).toEqual(lines.map((l) => l.slice(0, 40)));
    graph.commits.forEach((c, i) => {
      const expected = lines[i]!.split(' ').slice(1).map((p) => graph.commits.indexOf(p));
      expect(graph.parents[i]).toEqual(expected);
    });
    expect(graph.parents.flat()).toContain(-1);
    expect(graph.subjects?.[0]).toBe(`commit ${history.tip}`);
  });

  it('counts a range as readGraph reads it, with several good ends, without reading it', async () => {
    const bad = fx.shas[history.tip]!;
    // Goods on different branches of the merge-heavy history: each excludes its own ancestors.
    for (const goods of [[fx.shas[0]!], [fx.shas[10]!, fx.shas[40]!, fx.shas[70]!]]) {
      const count = await repo.countRange(bad, goods);
      expect(count).toBe((await repo.readGraph(bad, goods)).commits.length);
      expect(count).toBe(Number((await execa('git', ['-C', fx.dir, 'rev-list', '--count', bad, '--not', ...goods])).stdout));
    }
    expect(await repo.countRange(bad, [bad])).toBe(0);
    await expect(repo.countRange('main', [fx.shas[0]!])).rejects.toThrow(/sha/);
  });

  it('resolves symbolic refs and refuses unknown and dangerous ones without running them', async () => {
    expect(await repo.resolveCommit('main', '--bad')).toBe(fx.shas[history.tip]);
    expect(await repo.resolveCommit('main~0', '--bad')).toBe(fx.shas[history.tip]);
    await expect(repo.resolveCommit('v9.9', '--good')).rejects.toThrow(/^--good: unknown revision 'v9\.9'/);
    await expect(repo.resolveCommit('--upload-pack=touch x', '--good')).rejects.toThrow(/may not start with '-'/);
    await expect(repo.resolveCommit('main..HEAD', '--good')).rejects.toThrow(/range/);
    await expect(repo.resolveCommit('a b', '--good')).rejects.toThrow(/spaces/);
    expect(existsSync(join(fx.dir, 'x'))).toBe(false);
  });

  it('checks the range as git bisect start does and names the good commit at fault', async () => {
    const tip = fx.shas[history.tip]!;
    await expect(repo.mergeBasesToCheck(tip, [tip])).rejects.toThrow(/same commit/);
    await expect(repo.mergeBasesToCheck(fx.shas[5]!, [tip], ['main'])).rejects.toThrow(/--good main .* is not an ancestor of --bad/);
    await expect(repo.mergeBasesToCheck(tip, [fx.shas[0]!])).resolves.toEqual([]);
  });

  it('reads files at a revision without a checkout, and blob ids of paths at many commits in one call', async () => {
    expect(await repo.readFileAt(fx.shas[3]!, 'file-3.txt')).toBe('3\n');
    expect(await repo.readFileAt(fx.shas[0]!, 'file-3.txt')).toBeNull();
    await expect(repo.readFileAt(fx.shas[3]!, '../etc/passwd')).rejects.toThrow(/'\.\.'/);
    const commits = [fx.shas[0]!, fx.shas[3]!, fx.shas[11]!];
    const ids = await repo.blobIdsAt(commits, ['file-3.txt', 'nope.txt']);
    const truth = async (sha: string): Promise<string> => (await execa('git', ['-C', fx.dir, 'rev-parse', `${sha}:file-3.txt`])).stdout;
    expect(ids.get(fx.shas[0]!)).toEqual([null, null]);
    expect(ids.get(fx.shas[3]!)).toEqual([await truth(fx.shas[3]!), null]);
    expect(ids.get(fx.shas[11]!)).toEqual([await truth(fx.shas[11]!), null]);
    const texts = await repo.readBlobs([ids.get(fx.shas[3]!)![0]!, ids.get(fx.shas[11]!)![0]!]);
    expect([...texts.values()]).toEqual(['3\n', '11\n']);
    await expect(repo.blobIdsAt(commits, ['../x'])).rejects.toThrow(/'\.\.'/);
  });

  it('gives each job its own worktree of the mirror and removes it', async () => {
    const dir = join(cache, 'wt-1');
    const wt = await repo.addWorktree(fx.shas[7]!, dir);
    expect(await readFile(join(dir, 'file-7.txt'), 'utf8')).toBe('7\n');
    const other = await repo.addWorktree(fx.shas[8]!, join(cache, 'wt-2'));
    await wt.remove();
    await other.remove();
    expect(existsSync(dir)).toBe(false);
    // The user's repository was never touched: no worktrees registered there.
    expect((await execa('git', ['-C', fx.dir, 'worktree', 'list'])).stdout.split('\n')).toHaveLength(1);
  });

  it('mirrors a file:// URL and fetch brings new commits', async () => {
    const viaUrl = await openRepo(validateRepoSource(`file://${fx.dir}`), { cacheDir: cache });
    expect(await viaUrl.resolveCommit('main', '--bad')).toBe(fx.shas[history.tip]);
    await execa('git', ['-C', fx.dir, 'commit', '-q', '--allow-empty', '-m', 'new'], { env: { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' } });
    const head = (await execa('git', ['-C', fx.dir, 'rev-parse', 'HEAD'])).stdout;
    const again = await openRepo(validateRepoSource(fx.dir), { cacheDir: cache, fetch: true });
    expect(await again.resolveCommit('main', '--bad')).toBe(head);
    const info = await again.commitInfo([head, fx.shas[1]!]);
    expect(info.get(head)).toMatchObject({ subject: 'new', authorName: 'a' });
    expect(info.get(fx.shas[1]!)?.subject).toBe('commit 1');
  });

  it('refuses a path that is not a repository', async () => {
    await expect(openRepo(validateRepoSource(cache), { cacheDir: cache })).rejects.toThrow(/is not a git repository/);
    await expect(openRepo(validateRepoSource(join(cache, 'nope')), { cacheDir: cache })).rejects.toThrow(/is not a git repository/);
  });
});
