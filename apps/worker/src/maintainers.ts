import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Sandbox } from '@kbisect/sandbox';
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
  /** Where the tree's script runs: it is the tree's code. */
  readonly sandbox: Sandbox;
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
 * The script is code from the submitted tree: it runs in the sandbox (the
 * materialized worktree read-only, no network, the sandbox's environment,
 * a timeout, an output cap). A sandbox that refuses to run makes the lookup
 * fall back to authors and committers, saying why.
 */
export async function lookUpMaintainers(repo: MaintainerRepo, commits: readonly string[], opts: MaintainerOptions): Promise<ReportRecipients> {
  const max = opts.maxCommits ?? 8;
  if (commits.length === 0) return { source: 'none', commits: [], addresses: [], note: 'there is no culprit to ask about' };
  if (commits.length > max) return { source: 'none', commits: [...commits], addresses: [], note: `${commits.length} candidate commits are left; get_maintainer.pl runs for at most ${max}` };
  const withScript: string[] = [];
  for (const c of commits) if ((await repo.readFileAt(c, SCRIPT)) !== null) withScript.push(c);
  if (withScript.length === 0) return authorsAndCommitters(repo, commits, `the tree has no ${SCRIPT}`);
  const scratch = await mkdtemp(join(opts.scratchDir, 'maintainers-'));
  try {
    const lines: string[] = [];
    for (const [i, c] of withScript.entries()) {
      const dir = join(scratch, `tree-${i}`);
      const worktree = await repo.addEmptyWorktree(c, dir);
      try {
        await materialize(repo, c, dir);
        let run;
        try {
          // stdout only: the addresses; perl's warnings would read as addresses.
          run = await opts.sandbox.run({ argv: ['/bin/sh', '-c', 'exec perl "$0" --no-rolestats 2>/dev/null', SCRIPT], cwd: dir, readOnly: [dir], stdin: await repo.formatPatch(c), timeoutMs: opts.timeoutMs ?? 60_000, output: { headBytes: MAX_OUTPUT, tailBytes: 0 } });
        } catch (err) {
          return await authorsAndCommitters(repo, commits, `${SCRIPT} was not run: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (run.exitCode !== 0 || run.stopped || run.elidedBytes > 0) {
          const why = run.stopped ? `timed out after ${(opts.timeoutMs ?? 60_000) / 1000} s` : run.elidedBytes > 0 ? `printed more than ${MAX_OUTPUT} bytes` : `exited ${String(run.exitCode ?? run.signal)}: ${run.output.split('\n')[0]?.slice(0, 200) ?? ''}`;
          return await authorsAndCommitters(repo, commits, `${SCRIPT} ${why}`);
        }
        lines.push(...run.output.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
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
