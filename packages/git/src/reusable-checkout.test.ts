/**
 * ReusableCheckout against real git: whatever a test leaves in the worktree
 * (tracked edits, untracked and ignored files, a nested repository, a staged
 * revert) is gone at the next checkout, unchanged files are not rewritten,
 * and the worktree and its record in the mirror go at dispose().
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRepo, type GitRepo } from './git-repo.js';
import { validateRepoSource } from './repo-source.js';

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b',
};

let work: string;
let repo: GitRepo;
/** c0: .gitignore (build/, *.o), kept.txt, a.txt, gone.txt; c1: a.txt changed; c2: gone.txt deleted, new.txt added; c3: a.txt changed again. */
let c: string[];

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await execa('git', ['-C', dir, ...args], { env: GIT_ENV })).stdout;
}

async function commit(dir: string, message: string): Promise<string> {
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** Everything git sees beside HEAD's tree, ignored files included. */
async function leftovers(dir: string): Promise<string> {
  return git(dir, 'status', '--porcelain', '--ignored', '--untracked-files=all');
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'kbisect-checkout-'));
  const src = join(work, 'src');
  await mkdir(src);
  await git(src, 'init', '-q', '-b', 'main');
  await writeFile(join(src, '.gitignore'), 'build/\n*.o\n');
  await writeFile(join(src, 'kept.txt'), 'never changes\n');
  await writeFile(join(src, 'a.txt'), 'a0\n');
  await writeFile(join(src, 'gone.txt'), 'soon gone\n');
  c = [await commit(src, 'c0')];
  await writeFile(join(src, 'a.txt'), 'a1\n');
  c.push(await commit(src, 'c1'));
  await rm(join(src, 'gone.txt'));
  await writeFile(join(src, 'new.txt'), 'new\n');
  c.push(await commit(src, 'c2'));
  await writeFile(join(src, 'a.txt'), 'a3\n');
  c.push(await commit(src, 'c3'));
  repo = await openRepo(validateRepoSource(src), { cacheDir: join(work, 'cache') });
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('ReusableCheckout', () => {
  it('writes nothing until the first checkout, then moves one worktree and rewrites only the files that differ', async () => {
    const dir = join(work, 'cache', 'worktrees', 'one');
    const co = repo.openCheckout(dir);
    expect(existsSync(dir)).toBe(false);
    await co.checkout(c[0]!);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('a0\n');
    // Files written in the same second as the index are "racily clean": git
    // smudges them in the index and rewrites them at the next checkout. A
    // second later a checkout's index records them as clean for good.
    await new Promise((r) => setTimeout(r, 1100));
    await co.checkout(c[1]!);
    await new Promise((r) => setTimeout(r, 1100));
    const keptBefore = await stat(join(dir, 'kept.txt'));
    await co.checkout(c[2]!);
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(c[2]);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('a1\n');
    expect(existsSync(join(dir, 'gone.txt'))).toBe(false);
    expect(await readFile(join(dir, 'new.txt'), 'utf8')).toBe('new\n');
    // The same inode and mtime: git left the unchanged file alone.
    const keptAfter = await stat(join(dir, 'kept.txt'));
    expect([keptAfter.ino, keptAfter.mtimeMs]).toEqual([keptBefore.ino, keptBefore.mtimeMs]);
    expect(await leftovers(dir)).toBe('');
    await co.dispose();
  });

  it('leaves nothing of a test behind: tracked edits and deletions, untracked and ignored files, a nested repository', async () => {
    const dir = join(work, 'cache', 'worktrees', 'dirty');
    const co = repo.openCheckout(dir);
    await co.checkout(c[1]!);
    await writeFile(join(dir, 'a.txt'), 'edited by the test\n');
    await rm(join(dir, 'kept.txt'));
    await git(dir, 'add', 'a.txt');
    await writeFile(join(dir, 'untracked.txt'), 'x');
    await mkdir(join(dir, 'deep', 'er'), { recursive: true });
    await writeFile(join(dir, 'deep', 'er', 'file'), 'x');
    await mkdir(join(dir, 'build'));
    await writeFile(join(dir, 'build', 'vmlinux'), 'x');
    await writeFile(join(dir, 'main.o'), 'x');
    await git(dir, 'init', '-q', 'nested');
    // An untracked directory where the next commit tracks a file must not block it.
    await mkdir(join(dir, 'new.txt'));
    await writeFile(join(dir, 'new.txt', 'inside'), 'x');
    expect((await git(dir, 'check-ignore', 'main.o', 'build/vmlinux')).split('\n')).toHaveLength(2);
    await co.checkout(c[2]!);
    expect(await leftovers(dir)).toBe('');
    expect(await readFile(join(dir, 'new.txt'), 'utf8')).toBe('new\n');
    expect(await readFile(join(dir, 'kept.txt'), 'utf8')).toBe('never changes\n');
    for (const p of ['untracked.txt', 'deep', 'build', 'main.o', 'nested']) expect(existsSync(join(dir, p)), p).toBe(false);
    // Back to the same commit cleans too.
    await writeFile(join(dir, 'a.txt'), 'again\n');
    await writeFile(join(dir, 'x.o'), 'x');
    await co.checkout(c[2]!);
    expect(await leftovers(dir)).toBe('');
    await co.dispose();
  });

  it('a revert (staged, with REVERT_HEAD) does not leak into the next step; a conflicting one fails and leaves no revert in progress', async () => {
    const dir = join(work, 'cache', 'worktrees', 'revert');
    const co = repo.openCheckout(dir);
    await co.checkout(c[3]!);
    await co.revert(c[2]!);
    expect(existsSync(join(dir, 'gone.txt'))).toBe(true);
    expect(existsSync(join(dir, 'new.txt'))).toBe(false);
    const admin = await git(dir, 'rev-parse', '--absolute-git-dir');
    expect(existsSync(join(admin, 'REVERT_HEAD'))).toBe(true);
    await co.checkout(c[3]!);
    expect(await leftovers(dir)).toBe('');
    expect(existsSync(join(dir, 'gone.txt'))).toBe(false);
    expect(existsSync(join(admin, 'REVERT_HEAD'))).toBe(false);
    // c1 changed a.txt, c3 changed it again: reverting c1 on c3 conflicts.
    await expect(co.revert(c[1]!)).rejects.toMatchObject({ code: 'KBISECT_ERR_GIT' });
    expect(existsSync(join(admin, 'REVERT_HEAD'))).toBe(false);
    await co.checkout(c[0]!);
    expect(await leftovers(dir)).toBe('');
    await co.dispose();
  });

  it('starts again from a fresh worktree when the test removed its .git file, and never cleans an enclosing repository', async () => {
    // The cache dir inside someone's repository, with an untracked file of theirs.
    await git(work, 'init', '-q');
    await writeFile(join(work, 'precious.txt'), 'mine');
    const dir = join(work, 'cache', 'worktrees', 'damaged');
    const co = repo.openCheckout(dir);
    await co.checkout(c[0]!);
    await rm(join(dir, '.git'));
    await writeFile(join(dir, 'junk'), 'x');
    await co.checkout(c[1]!);
    expect(await readFile(join(work, 'precious.txt'), 'utf8')).toBe('mine');
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(c[1]);
    expect(await leftovers(dir)).toBe('');
    await co.dispose();
    expect(await git(repo.gitDir, 'worktree', 'list', '--porcelain')).not.toContain(dir);
  });

  it('starts again from a fresh worktree when git cannot move it (an index.lock a killed git left), and replaces a directory a previous process left', async () => {
    const dir = join(work, 'cache', 'worktrees', 'locked');
    const co = repo.openCheckout(dir);
    await co.checkout(c[0]!);
    const admin = await git(dir, 'rev-parse', '--absolute-git-dir');
    await writeFile(join(admin, 'index.lock'), '');
    await writeFile(join(dir, 'a.txt'), 'edited\n');
    await co.checkout(c[1]!);
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(c[1]);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('a1\n');
    expect(await leftovers(dir)).toBe('');
    // Its next step moves the fresh worktree as usual.
    await co.checkout(c[2]!);
    expect(await readFile(join(dir, 'new.txt'), 'utf8')).toBe('new\n');
    // A new process's checkout of the same directory (the old one died holding it).
    const next = repo.openCheckout(dir);
    await writeFile(join(dir, 'stale'), 'x');
    await next.checkout(c[3]!);
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(c[3]);
    expect(await leftovers(dir)).toBe('');
    expect((await git(repo.gitDir, 'worktree', 'list')).split('\n')).toHaveLength(2);
    await next.dispose();
    expect((await git(repo.gitDir, 'worktree', 'list')).split('\n')).toHaveLength(1);
  });

  it('dispose() removes the worktree and its record, is safe twice and before any checkout; two checkouts on one mirror are independent', async () => {
    const never = repo.openCheckout(join(work, 'cache', 'worktrees', 'never'));
    await never.dispose();
    const a = repo.openCheckout(join(work, 'cache', 'worktrees', 'a'));
    const b = repo.openCheckout(join(work, 'cache', 'worktrees', 'b'));
    await Promise.all([a.checkout(c[0]!), b.checkout(c[3]!)]);
    await Promise.all([a.checkout(c[1]!), b.checkout(c[2]!)]);
    expect(await git(a.dir, 'rev-parse', 'HEAD')).toBe(c[1]);
    expect(await git(b.dir, 'rev-parse', 'HEAD')).toBe(c[2]);
    expect((await git(repo.gitDir, 'worktree', 'list')).split('\n')).toHaveLength(3);
    await a.dispose();
    await a.dispose();
    expect(existsSync(a.dir)).toBe(false);
    expect(await readFile(join(b.dir, 'new.txt'), 'utf8')).toBe('new\n');
    await b.dispose();
    expect(existsSync(b.dir)).toBe(false);
    expect((await git(repo.gitDir, 'worktree', 'list')).split('\n')).toHaveLength(1);
    await expect(a.checkout(c[0]!)).rejects.toThrow(/already removed/);
  });
});
