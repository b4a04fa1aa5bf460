import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { ReportRecipients } from '@kbisect/service';

/** The git a maintainer lookup needs; @kbisect/git's GitRepo provides it. */
export interface MaintainerRepo {
  readFileAt(sha: string, path: string): Promise<string | null>;
  addEmptyWorktree(sha: string, dir: string): Promise<{ remove(): Promise<void> }>;
  directoriesAt(sha: string): Promise<string[]>;
  formatPatch(sha: string): Promise<string>;
  authorAndCommitter(sha: string): Promise<[string, string]>;
}

export interface MaintainerOptions {
  /** Where the temporary worktree goes. */
  readonly scratchDir: string;
  /** One get_maintainer.pl run. @defaultValue 60000 */
  readonly timeoutMs?: number;
  /** Ambiguous results with more candidates than this are not looked up. @defaultValue 8 */
  readonly maxCommits?: number;
}

const SCRIPT = 'scripts/get_maintainer.pl';
/**
 * The files get_maintainer.pl reads for a patch on stdin: its own
 * configuration, MAINTAINERS, .mailmap, and the top-level files its
 * "is this a kernel tree" check looks for. Everything else it asks of the
 * tree is whether a directory exists (F: patterns) — so the worktree gets
 * every directory and only these files: about a second instead of a
 * 75,000-file checkout (measured in the README).
 */
const READ_FILES = [SCRIPT, 'MAINTAINERS', '.mailmap', '.get_maintainer.conf', '.get_maintainer.ignore', 'COPYING', 'CREDITS', 'Kbuild', 'Makefile', 'README'];
/** Output beyond this is cut: the tree's script is untrusted and may print anything. */
const MAX_OUTPUT = 64 * 1024;
const MAX_ADDRESSES = 200;

/**
 * Who the result concerns, as the submitted tree itself says: its
 * scripts/get_maintainer.pl run on `git format-patch` of each commit (the
 * culprit, or the candidates of an ambiguous result, at most `maxCommits`;
 * the union, in order), in a worktree of that commit holding what the
 * script reads (see READ_FILES). A tree without the
 * script falls back to the commits' authors and committers.
 *
 * The script is code from the submitted tree: it runs through execa with an
 * argument array, a timeout, an output cap, and an environment holding only
 * PATH, HOME (an empty temp dir) and LANG — no tokens, no Redis URL.
 * (Issue 15 puts it in the build sandbox too.)
 */
export async function lookUpMaintainers(repo: MaintainerRepo, commits: readonly string[], opts: MaintainerOptions): Promise<ReportRecipients> {
  const max = opts.maxCommits ?? 8;
  if (commits.length === 0) return { source: 'none', commits: [], addresses: [], note: 'there is no culprit to ask about' };
  if (commits.length > max) return { source: 'none', commits: [...commits], addresses: [], note: `${commits.length} candidate commits are left; get_maintainer.pl runs for at most ${max}` };
  const withScript: string[] = [];
  for (const c of commits) if ((await repo.readFileAt(c, SCRIPT)) !== null) withScript.push(c);
  if (withScript.length === 0) return authorsAndCommitters(repo, commits, `the tree has no ${SCRIPT}`);
  const scratch = await mkdtemp(join(opts.scratchDir, 'maintainers-'));
  const home = join(scratch, 'home');
  try {
    await mkdir(home);
    const lines: string[] = [];
    for (const [i, c] of withScript.entries()) {
      const dir = join(scratch, `tree-${i}`);
      const worktree = await repo.addEmptyWorktree(c, dir);
      try {
        await materialize(repo, c, dir);
        const run = await execa('perl', [SCRIPT, '--no-rolestats'], {
          cwd: dir, input: await repo.formatPatch(c), timeout: opts.timeoutMs ?? 60_000, reject: false, maxBuffer: MAX_OUTPUT, stripFinalNewline: true,
          extendEnv: false, env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' },
        });
        if (run.exitCode !== 0 || run.timedOut || run.isMaxBuffer) {
          const why = run.timedOut ? `timed out after ${(opts.timeoutMs ?? 60_000) / 1000} s` : run.isMaxBuffer ? `printed more than ${MAX_OUTPUT} bytes` : `exited ${String(run.exitCode)}: ${String(run.stderr).split('\n')[0]?.slice(0, 200) ?? ''}`;
          return await authorsAndCommitters(repo, commits, `${SCRIPT} ${why}`);
        }
        lines.push(...String(run.stdout).split('\n').map((l) => l.trim()).filter((l) => l !== ''));
      } finally {
        await worktree.remove().catch(() => undefined);
      }
    }
    const addresses = [...new Set(lines)].slice(0, MAX_ADDRESSES);
    const skipped = commits.filter((c) => !withScript.includes(c));
    return {
      source: 'get_maintainer', commits: withScript, addresses,
      ...(skipped.length ? { note: `${skipped.map((c) => c.slice(0, 12)).join(', ')} ha${skipped.length === 1 ? 's' : 've'} no ${SCRIPT}` } : {}),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The tree as get_maintainer.pl sees it: every directory, and the files it reads. */
async function materialize(repo: MaintainerRepo, sha: string, dir: string): Promise<void> {
  for (const d of await repo.directoriesAt(sha)) await mkdir(join(dir, d), { recursive: true });
  for (const f of READ_FILES) {
    const text = await repo.readFileAt(sha, f);
    if (text === null) continue;
    await mkdir(dirname(join(dir, f)), { recursive: true });
    await writeFile(join(dir, f), text);
  }
}

async function authorsAndCommitters(repo: MaintainerRepo, commits: readonly string[], note: string): Promise<ReportRecipients> {
  const people: string[] = [];
  for (const c of commits) people.push(...(await repo.authorAndCommitter(c)));
  return { source: 'author-committer', commits: [...commits], addresses: [...new Set(people.filter((p) => p !== ''))], note };
}
