import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { isFullSha, type CommitGraph } from '@kbisect/bisect';
import { assertShas } from './assert-shas.js';
import { blobIdsAt, readBlobs } from './batch-objects.js';
import { GitCommandError, GoodEqualsBadError, GoodNotAncestorError, UnknownRefError } from './errors/git-errors.js';
import { ensureMirror, gitAt } from './mirror-cache.js';
import { checkRefSyntax, checkTreePath } from './ref-syntax.js';
import type { RepoSource } from './repo-source.js';
import { ReusableCheckout } from './reusable-checkout.js';
import { revertInWorktree } from './worktree-revert.js';

export interface CommitInfo {
  readonly subject: string;
  readonly authorName: string;
  readonly authorEmail: string;
  readonly authorDate: string;
}

export interface Worktree {
  readonly dir: string;
  remove(): Promise<void>;
}

export interface OpenRepoOptions {
  /** Mirrors (and, by the callers' choice, worktrees) live here. */
  readonly cacheDir: string;
  /** Update an existing mirror from its origin. @defaultValue true */
  readonly fetch?: boolean;
  /** Field name used in error messages. @defaultValue '--repo' */
  readonly field?: string;
}

/** Opens (mirroring first) a repository; see {@link GitRepo}. */
export async function openRepo(source: RepoSource, opts: OpenRepoOptions): Promise<GitRepo> {
  const field = opts.field ?? '--repo';
  const gitDir = await ensureMirror(source, opts.cacheDir, { fetch: opts.fetch ?? true, field });
  return new GitRepo(source, gitDir);
}

/**
 * Real git on a mirror: ref resolution that never lets user input become an
 * option, the commit graph of a range in one pass, files at a revision
 * without a checkout, and worktrees for jobs.
 */
export class GitRepo {
  private readonly git: SimpleGit;

  constructor(readonly source: RepoSource, readonly gitDir: string) {
    this.git = gitAt(gitDir);
  }

  private get label(): string {
    return this.source.kind === 'path' ? this.source.path : this.source.url;
  }

  /** A user's revision → full sha. Syntax is checked before git runs; git gets it after --end-of-options. */
  async resolveCommit(ref: string, field: string): Promise<string> {
    checkRefSyntax(ref, field);
    let out: string;
    try {
      out = await this.git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
    } catch {
      throw new UnknownRefError(field, ref, this.label);
    }
    const sha = out.trim();
    if (!isFullSha(sha)) throw new UnknownRefError(field, ref, this.label);
    return sha;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertShas([ancestor, descendant]);
    // Any commit reachable from `ancestor` but not from `descendant` disproves it.
    // (simple-git reports merge-base --is-ancestor's silent exit 1 as success.)
    const out = await this.git.raw(['rev-list', '-n', '1', ancestor, '--not', descendant]);
    return out.trim() === '';
  }

  /**
   * `git bisect start`'s check of the ends: each good differs from bad; when a
   * good is not an ancestor of bad, the merge bases git tests first (in
   * `git merge-base --all` order) — unless bad is itself the merge base, i.e.
   * a good descends from bad: then the ends are swapped, as git says too.
   */
  async mergeBasesToCheck(bad: string, goods: readonly string[], goodRefs: readonly string[] = goods): Promise<string[]> {
    assertShas([bad, ...goods]);
    let unrelated: number | undefined;
    for (const [i, good] of goods.entries()) {
      if (good === bad) throw new GoodEqualsBadError(bad);
      if (unrelated === undefined && !(await this.isAncestor(good, bad))) unrelated = i;
    }
    if (unrelated === undefined) return [];
    // Exit 1 with no output when the histories share nothing: then there is nothing to test first.
    const out = await this.git.raw(['merge-base', '--all', bad, ...goods]).catch(() => '');
    const bases = out.split('\n').filter((l) => isFullSha(l));
    if (bases.includes(bad)) throw new GoodNotAncestorError(goodRefs[unrelated] ?? goods[unrelated]!, goods[unrelated]!, bad);
    return bases;
  }

  /** How many commits the range `bad --not goods…` has: what {@link readGraph} would read, counted by git without printing them. */
  async countRange(bad: string, goods: readonly string[]): Promise<number> {
    assertShas([bad, ...goods]);
    const out = await this.git.raw(['rev-list', '--count', bad, '--not', ...goods]);
    if (!/^\d+$/.test(out.trim())) throw new GitCommandError('rev-list --count', `printed '${out.trim()}', not a count`);
    return Number(out.trim());
  }

  /**
   * The range `bad --not goods…` as the engine's graph, from one
   * `git rev-list` in git's default order (the order git bisect breaks ties by).
   */
  async readGraph(bad: string, goods: readonly string[]): Promise<CommitGraph> {
    assertShas([bad, ...goods]);
    const out = await this.git.raw(['rev-list', '--no-commit-header', '--format=%H%x09%P%x09%s', bad, '--not', ...goods]);
    const commits: string[] = [];
    const parentShas: string[][] = [];
    const subjects: string[] = [];
    for (const line of out.split('\n')) {
      if (line === '') continue;
      const t1 = line.indexOf('\t');
      const t2 = line.indexOf('\t', t1 + 1);
      commits.push(line.slice(0, t1));
      const parents = line.slice(t1 + 1, t2);
      parentShas.push(parents === '' ? [] : parents.split(' '));
      subjects.push(line.slice(t2 + 1));
    }
    const index = new Map(commits.map((c, i) => [c, i]));
    return { commits, parents: parentShas.map((ps) => ps.map((p) => index.get(p) ?? -1)), subjects };
  }

  /** Author and subject of many commits in one git call. */
  async commitInfo(shas: readonly string[]): Promise<Map<string, CommitInfo>> {
    const info = new Map<string, CommitInfo>();
    if (shas.length === 0) return info;
    assertShas(shas);
    const out = await this.git.raw(['show', '-s', '--no-walk=unsorted', '--format=%H%x09%an%x09%ae%x09%aI%x09%s', ...shas]);
    for (const line of out.split('\n')) {
      const [sha, authorName, authorEmail, authorDate, ...rest] = line.split('\t');
      if (!sha || !isFullSha(sha)) continue;
      info.set(sha, { authorName: authorName ?? '', authorEmail: authorEmail ?? '', authorDate: authorDate ?? '', subject: rest.join('\t') });
    }
    return info;
  }

  /** One commit as `git format-patch -1 --stdout` prints it: what a tree's get_maintainer.pl reads. */
  async formatPatch(sha: string): Promise<string> {
    assertShas([sha]);
    return this.git.raw(['format-patch', '-1', '--stdout', sha]);
  }

  /** "Name <email>" of a commit's author and committer, in that order. */
  async authorAndCommitter(sha: string): Promise<[string, string]> {
    assertShas([sha]);
    const [author = '', committer = ''] = (await this.git.raw(['show', '-s', '--format=%an <%ae>%n%cn <%ce>', sha])).split('\n');
    return [author, committer];
  }

  /** A file's text at a revision, or null when the path does not exist there. No checkout. */
  async readFileAt(sha: string, path: string): Promise<string | null> {
    assertShas([sha]);
    checkTreePath(path);
    try {
      await this.git.raw(['cat-file', '-e', `${sha}:${path}`]);
    } catch {
      return null;
    }
    return this.git.raw(['cat-file', 'blob', `${sha}:${path}`]);
  }

  /** For each Kconfig symbol name, the file defining it at `sha` (`git grep` on the tree, no checkout). */
  async findSymbolFiles(sha: string, names: readonly string[]): Promise<Map<string, string>> {
    assertShas([sha]);
    const found = new Map<string, string>();
    const valid = names.filter((n) => /^[A-Za-z0-9_]+$/.test(n));
    if (valid.length === 0) return found;
    let out = '';
    try {
      out = await this.git.raw(['grep', '-n', '-E', `^[[:space:]]*(menu)?config[[:space:]]+(${valid.join('|')})[[:space:]]*$`, sha, '--', '*Kconfig*']);
    } catch {
      return found; // git grep exits 1 when nothing matches
    }
    for (const line of out.split('\n')) {
      const m = /^[0-9a-f]{40}:([^:]+):\d+:\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/.exec(line);
      if (m && !found.has(m[2]!)) found.set(m[2]!, m[1]!);
    }
    return found;
  }

  /**
   * The blob id of each path at each commit (null where absent), in one git
   * call: what the Kconfig probe needs to judge every commit of a range
   * without reading a file per commit.
   */
  async blobIdsAt(commits: readonly string[], paths: readonly string[]): Promise<Map<string, (string | null)[]>> {
    assertShas(commits);
    paths.forEach(checkTreePath);
    return blobIdsAt(this.gitDir, commits, paths);
  }

  /** The texts of blobs by id, in one git call. */
  async readBlobs(ids: readonly string[]): Promise<Map<string, string>> {
    assertShas(ids);
    return readBlobs(this.gitDir, ids);
  }

  /**
   * Reverts `culprit` (uncommitted) in an existing worktree, for a revert
   * check; a conflict is reported as a GitCommandError and the tree reset.
   */
  async revertInWorktree(dir: string, culprit: string): Promise<void> {
    assertShas([culprit]);
    await revertInWorktree(dir, culprit);
  }

  /** The tree object of a commit: commits with equal trees build the same kernel. */
  async treeOf(sha: string): Promise<string> {
    assertShas([sha]);
    return (await this.git.raw(['rev-parse', `${sha}^{tree}`])).trim();
  }

  /**
   * A worktree kept at `dir` and moved to `sha`: only files that differ are
   * rewritten, so an out-of-tree build beside it stays incremental.
   */
  async checkoutWorktree(dir: string, sha: string): Promise<void> {
    assertShas([sha]);
    // A worktree has a .git file pointing back at the mirror.
    const exists = await stat(join(dir, '.git')).then(() => true, () => false);
    try {
      if (!exists) await this.git.raw(['worktree', 'add', '--detach', '--force', '--quiet', dir, sha]);
      else {
        await gitAt(dir).raw(['reset', '--hard', '--quiet']);
        await gitAt(dir).raw(['checkout', '--quiet', '--detach', '--force', sha]);
      }
    } catch (err) {
      throw new GitCommandError('checkout', err instanceof Error ? err.message : String(err));
    }
  }

  /** Applies a fix commit (uncommitted) in a worktree; a conflict is a GitCommandError. */
  async cherryPickInWorktree(dir: string, fix: string): Promise<void> {
    assertShas([fix]);
    try {
      await gitAt(dir).raw(['cherry-pick', '--no-commit', fix]);
    } catch (err) {
      await gitAt(dir).raw(['cherry-pick', '--abort']).catch(() => undefined);
      await gitAt(dir).raw(['reset', '--hard', '--quiet']).catch(() => undefined);
      throw new GitCommandError('cherry-pick', err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * A detached worktree of `sha` at `dir` with no files checked out (HEAD and
   * git work; the caller writes what it needs). remove() as for addWorktree.
   */
  async addEmptyWorktree(sha: string, dir: string): Promise<Worktree> {
    assertShas([sha]);
    try {
      await this.git.raw(['worktree', 'add', '--detach', '--force', '--quiet', '--no-checkout', dir, sha]);
    } catch (err) {
      throw new GitCommandError('worktree add', err instanceof Error ? err.message : String(err));
    }
    return {
      dir,
      // `git worktree remove` compares the whole tree with the empty index first (24 s on a kernel
      // tree under load); the directory holds nothing git tracks, so delete it and prune the record.
      remove: async () => {
        await rm(dir, { recursive: true, force: true });
        await this.git.raw(['worktree', 'prune']).catch(() => undefined);
      },
    };
  }

  /** Every directory of the tree at `sha`, relative to its top. */
  async directoriesAt(sha: string): Promise<string[]> {
    assertShas([sha]);
    return (await this.git.raw(['ls-tree', '-r', '-d', '-z', '--name-only', sha])).split('\0').filter((d) => d !== '');
  }

  /** One worktree at `dir` for a whole job, moved commit to commit; nothing is written until the first checkout. */
  openCheckout(dir: string): ReusableCheckout {
    return new ReusableCheckout(this.gitDir, dir);
  }

  /** A detached worktree of `sha` at `dir`; remove() deletes it and prunes the record. */
  async addWorktree(sha: string, dir: string): Promise<Worktree> {
    assertShas([sha]);
    try {
      await this.git.raw(['worktree', 'add', '--detach', '--force', '--quiet', dir, sha]);
    } catch (err) {
      throw new GitCommandError('worktree add', err instanceof Error ? err.message : String(err));
    }
    return {
      dir,
      remove: async () => {
        try {
          await this.git.raw(['worktree', 'remove', '--force', '--force', dir]);
        } catch {
          await rm(dir, { recursive: true, force: true });
        }
        await this.git.raw(['worktree', 'prune']).catch(() => undefined);
      },
    };
  }
}
