import { readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { assertShas } from './assert-shas.js';
import { scanDirs, sweepDirs, type DirStamps } from './dir-stamps.js';
import { GitCommandError } from './errors/git-errors.js';
import { runHotGit } from './git-process.js';
import { gitAt } from './mirror-cache.js';

/**
 * A file's times come from the kernel's coarse clock, up to one tick (1-10 ms)
 * behind the time the process reads; a change made after a checkout returned
 * is stamped no earlier than that moment minus this margin.
 */
const CLOCK_MARGIN_NS = 20_000_000n;

/** One worktree that a job moves from commit to commit; the port `kbisect run` uses. */
export interface Checkout {
  /** Where the commit is checked out (stable for the checkout's life). */
  readonly dir: string;
  /** Makes `dir` exactly `sha`'s tree: whatever the last user left there is gone. */
  checkout(sha: string): Promise<void>;
  /** Reverts `culprit` (uncommitted) on top of the current commit; the next checkout undoes it. */
  revert(culprit: string): Promise<void>;
  /** Removes the worktree and its record in the mirror; safe to call twice or before any checkout. */
  dispose(): Promise<void>;
}

/**
 * A worktree of a mirror, created at the first checkout and then moved from
 * commit to commit, so a step writes only the files that differ instead of a
 * whole tree (on a kernel tree, ~80,000 files and ~10 s per fresh worktree).
 *
 * Between steps it puts back exactly the commit's tree, whatever the test did:
 * `git clean -ffdx` removes untracked and ignored files (a test may build) and
 * nested repositories; `git checkout --force` then resets tracked changes, the
 * index (a staged revert) and a revert's REVERT_HEAD. Cleaning first means an
 * untracked directory never blocks a path the next commit tracks.
 *
 * A whole-tree `git clean` reads every directory (~0.15 s on a kernel tree,
 * half of a checkout; `git status --ignored -uall` costs more). So only the
 * directories where a name appeared or went since the checkout returned are
 * cleaned: one lstat pass over the directories (~5,000 on a kernel tree)
 * before each checkout finds those whose ctime is not older than that moment
 * (ctime, unlike mtime, cannot be set back by a test). A test that leaves
 * nothing costs no clean at all. The same pass re-reads the directories the
 * last checkout changed, so the list of directories stays current without a
 * second pass. On a file system with second-granularity times every step
 * cleans the whole tree.
 *
 * When git cannot move the worktree (a lock left by a test's own git that was
 * killed, a damaged index), or the test removed its .git file, the next
 * checkout starts from a fresh worktree; so does the first checkout of a
 * directory a previous process left (a worker slot's, after a crash).
 */
export class ReusableCheckout implements Checkout {
  private state: 'none' | 'present' | 'disposed' = 'none';
  /** The worktree's own git dir in the mirror (mirror.git/worktrees/<name>), named explicitly from then on. */
  private adminDir = '';
  /** The directories as the last pass saw them; undefined: clean the whole tree. */
  private stamps: DirStamps | undefined;
  /** When the last checkout returned (ns, wall clock): anything newer is a test's. */
  private since = 0n;
  /** Whether this file system's times are fine enough to tell a test's changes by time. */
  private fineClock = false;

  constructor(private readonly gitDir: string, readonly dir: string) {}

  async checkout(sha: string): Promise<void> {
    assertShas([sha]);
    if (this.state === 'disposed') throw new GitCommandError('checkout', `the worktree at ${this.dir} was already removed`);
    if (this.state === 'present' && !(await isFile(join(this.dir, '.git')))) {
      // The test removed (or replaced) the worktree's .git file: git could no
      // longer tell this tree from an enclosing one. Start from a fresh worktree.
      await this.remove();
    }
    if (this.state === 'present') {
      try {
        await this.moveTo(sha);
        return;
      } catch {
        // A worktree git cannot move (say, an index.lock left by a test's own
        // git that was killed): start again from a fresh one, as below.
        await this.remove();
      }
    }
    // A directory at `dir` before the first checkout is a previous life's (a
    // worker slot's worktree when its process died); it holds nothing of ours.
    if (await exists(this.dir)) await this.discard();
    try {
      await gitAt(this.gitDir).raw(['worktree', 'add', '--detach', '--force', '--quiet', this.dir, sha]);
    } catch (err) {
      throw new GitCommandError('worktree add', err instanceof Error ? err.message : String(err));
    }
    this.adminDir = await adminDirOf(this.dir);
    this.state = 'present';
    // `worktree add` writes the index in the same second as the files, so git
    // must treat every entry as racily clean and re-read it at the next
    // checkout (the first step after a fresh worktree took ~1.5x the others).
    // Past that second, one refresh records clean stat data once, here.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 10));
    await runHotGit('refresh', [...this.explicitGit(), 'update-index', '-q', '--refresh'], this.dir).catch(() => undefined);
    const scan = scanDirs(this.dir);
    this.fineClock = scan.fineClock;
    this.stamps = scan.fineClock ? scan.stamps : undefined;
    this.since = wallClockNs();
  }

  /** Moves the present worktree to `sha`, cleaning only where the last test changed names. */
  private async moveTo(sha: string): Promise<void> {
    // Explicit --git-dir and --work-tree: git never searches upwards, so it
    // can only ever clean this worktree.
    const at = this.explicitGit();
    // Only directories where a name appeared or went can hold untracked or
    // ignored files; clean those (all, when there are many or the root).
    let changed = [''];
    if (this.stamps) {
      const pass = sweepDirs(this.dir, this.stamps, this.since - CLOCK_MARGIN_NS);
      changed = pass.changed;
      this.stamps = pass.stamps;
    }
    const where = changed.length > 64 || changed.includes('') ? [] : ['--', ...changed];
    if (changed.length > 0) await runHotGit('clean', [...at, 'clean', '-ffdxq', ...where], this.dir);
    await runHotGit('checkout', [...at, 'checkout', '--quiet', '--detach', '--force', sha], this.dir);
    this.since = wallClockNs();
  }

  /** git's options naming this worktree and its git dir, so git never searches for (or trusts) the worktree's own .git. */
  private explicitGit(): string[] {
    return ['--literal-pathspecs', `--git-dir=${this.adminDir}`, `--work-tree=${this.dir}`];
  }

  async revert(culprit: string): Promise<void> {
    assertShas([culprit]);
    if (this.state !== 'present') throw new GitCommandError('revert', 'nothing is checked out');
    // Explicit git dir, as in moveTo: a sandboxed test owns the worktree's files (so git's discovery
    // would call it dubious) and may have rewritten its .git file; neither may steer this git.
    const at = this.explicitGit();
    try {
      await runHotGit('revert', [...at, 'revert', '--no-commit', '--no-edit', culprit], this.dir);
    } catch (err) {
      await runHotGit('revert', [...at, 'revert', '--abort'], this.dir).catch(() => undefined);
      throw err;
    }
  }

  async dispose(): Promise<void> {
    const was = this.state;
    this.state = 'disposed';
    if (was === 'present') await this.remove();
    // Disposed while a first checkout was still being written (a signal): its dir goes too.
    else if (was === 'none' && (await exists(this.dir))) await this.discard();
  }

  /** Deletes `dir` and forgets its record in the mirror (git prunes records whose directory is gone). */
  private async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await gitAt(this.gitDir).raw(['worktree', 'prune']).catch(() => undefined);
  }

  private async remove(): Promise<void> {
    this.state = 'none';
    this.stamps = undefined;
    try {
      await gitAt(this.gitDir).raw(['worktree', 'remove', '--force', '--force', this.dir]);
    } catch {
      await this.discard();
    }
  }
}

function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** The worktree's git dir, from its .git file (`gitdir: <path>`), as git itself reads it. */
async function adminDirOf(dir: string): Promise<string> {
  const text = await readFile(join(dir, '.git'), 'utf8');
  const m = /^gitdir: (.+)$/m.exec(text);
  if (!m) throw new GitCommandError('worktree add', `no gitdir line in ${join(dir, '.git')}`);
  return isAbsolute(m[1]!) ? m[1]! : resolve(dir, m[1]!);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}
