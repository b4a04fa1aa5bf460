import { execa } from 'execa';
import { GitCommandError } from './errors/git-errors.js';
import { SAFE_CONFIG_ARGS } from './git-process.js';

// git's batch modes read their questions on stdin, which simple-git cannot
// feed; execa runs the same git with the same safe config, argument arrays only.
function gitArgs(gitDir: string, args: readonly string[]): string[] {
  return [...SAFE_CONFIG_ARGS, '--git-dir', gitDir, ...args];
}

/**
 * The blob id of each path at each commit (null where the path is absent or
 * not a file), from one `git cat-file --batch-check` over every
 * `<commit>:<path>`. Exact on any DAG: nothing is inferred from history.
 */
export async function blobIdsAt(gitDir: string, commits: readonly string[], paths: readonly string[]): Promise<Map<string, (string | null)[]>> {
  const out = new Map<string, (string | null)[]>();
  if (commits.length === 0 || paths.length === 0) {
    for (const c of commits) out.set(c, paths.map(() => null));
    return out;
  }
  const input = commits.flatMap((c) => paths.map((p) => `${c}:${p}`)).join('\n') + '\n';
  const result = await execa('git', gitArgs(gitDir, ['cat-file', '--batch-check=%(objectname) %(objecttype)']), { input, reject: false, stripFinalNewline: false });
  if (result.exitCode !== 0) throw new GitCommandError('cat-file --batch-check', result.stderr);
  const lines = result.stdout.split('\n');
  let k = 0;
  for (const c of commits) {
    const ids: (string | null)[] = [];
    for (let j = 0; j < paths.length; j++, k++) {
      // "<id> blob", or "<commit>:<path> missing" when the path does not exist there.
      const m = /^([0-9a-f]{40}) blob$/.exec(lines[k] ?? '');
      ids.push(m ? m[1]! : null);
    }
    out.set(c, ids);
  }
  return out;
}

/** The text of each blob, from one `git cat-file --batch`. */
export async function readBlobs(gitDir: string, ids: readonly string[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (ids.length === 0) return texts;
  const result = await execa('git', gitArgs(gitDir, ['cat-file', '--batch']), { input: ids.join('\n') + '\n', encoding: 'buffer', reject: false, stripFinalNewline: false });
  if (result.exitCode !== 0) throw new GitCommandError('cat-file --batch', Buffer.from(result.stderr).toString('utf8'));
  const buf = Buffer.from(result.stdout);
  let at = 0;
  for (const id of ids) {
    const eol = buf.indexOf(0x0a, at);
    if (eol < 0) throw new GitCommandError('cat-file --batch', `output ended before ${id}`);
    const header = buf.subarray(at, eol).toString('utf8');
    const m = /^([0-9a-f]{40}) blob (\d+)$/.exec(header);
    if (!m || m[1] !== id) throw new GitCommandError('cat-file --batch', `expected blob ${id}, got '${header.slice(0, 80)}'`);
    const size = Number(m[2]);
    texts.set(id, buf.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + size + 1; // the content is followed by a newline
  }
  return texts;
}
