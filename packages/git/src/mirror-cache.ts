import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { GitCommandError, NotARepositoryError } from './errors/git-errors.js';
import type { RepoSource } from './repo-source.js';

/** Options every git process gets: remote helpers stay off even if a config enables them. */
export const SAFE_CONFIG = ['protocol.ext.allow=never', 'protocol.fd.allow=never'];

export function gitAt(dir: string): SimpleGit {
  // simple-git refuses any protocol.*.allow setting unless told otherwise; ours only ever says "never".
  return simpleGit({ baseDir: dir, config: SAFE_CONFIG, maxConcurrentProcesses: 4, trimmed: false, unsafe: { allowUnsafeProtocolOverride: true } });
}

/** A repository's name in caches: its mirror, and a build slot's worktree of it (so two trees never share one). */
export function mirrorIdOf(source: RepoSource): string {
  const key = source.kind === 'path' ? `path:${source.path}` : `url:${source.url}`;
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

export function mirrorPathFor(cacheDir: string, source: RepoSource): string {
  return join(cacheDir, 'mirrors', `${mirrorIdOf(source)}.git`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A bare mirror of the source under the cache dir, so worktrees and fetches
 * never touch the user's repository. Cloned into a temporary name and renamed
 * into place, so concurrent openers never see a half-made mirror.
 */
export async function ensureMirror(source: RepoSource, cacheDir: string, opts: { fetch: boolean; field: string }): Promise<string> {
  if (source.kind === 'path') {
    if (!(await exists(source.path))) throw new NotARepositoryError(opts.field, source.path);
    try {
      await gitAt(source.path).raw(['rev-parse', '--git-dir']);
    } catch {
      throw new NotARepositoryError(opts.field, source.path);
    }
  }
  const mirror = mirrorPathFor(cacheDir, source);
  const origin = source.kind === 'path' ? source.path : source.url;
  if (!(await exists(mirror))) {
    await mkdir(join(cacheDir, 'mirrors'), { recursive: true });
    const tmp = `${mirror}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await gitAt(join(cacheDir, 'mirrors')).raw(['clone', '--mirror', '--quiet', '--', origin, tmp]);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (source.kind === 'path') throw new NotARepositoryError(opts.field, source.path);
      throw new GitCommandError('clone', err instanceof Error ? err.message : String(err));
    }
    try {
      await rename(tmp, mirror);
    } catch {
      // Someone else finished first; theirs is as good as ours.
      await rm(tmp, { recursive: true, force: true });
    }
    return mirror;
  }
  if (opts.fetch) {
    for (let attempt = 0; ; attempt++) {
      try {
        await gitAt(mirror).raw(['fetch', '--prune', '--quiet', 'origin']);
        break;
      } catch (err) {
        // Concurrent fetches into one mirror can collide on ref locks; one retry settles it.
        if (attempt >= 2) throw new GitCommandError('fetch', err instanceof Error ? err.message : String(err));
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
  }
  return mirror;
}
