import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** A 30-commit linear repository where commit 17 adds a BUG file and commit 24 removes it. */
export interface BugFileRepo {
  readonly dir: string;
  readonly repo: string;
  readonly shas: readonly string[];
  cleanup(): Promise<void>;
}

const env = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.org', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.org' };

export async function bugFileRepo(prefix: string): Promise<BugFileRepo> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const repo = join(dir, 'repo');
  const shas: string[] = [];
  await execa('git', ['init', '-q', '-b', 'main', repo]);
  for (let i = 0; i < 30; i++) {
    const files: Record<string, string> = { [`file-${i}.txt`]: `${i}\n` };
    if (i === 17) files.BUG = 'pinned pages move\n';
    for (const [f, text] of Object.entries(files)) await writeFile(join(repo, f), text);
    if (i === 24) await rm(join(repo, 'BUG'));
    await execa('git', ['-C', repo, 'add', '-A'], { env });
    await execa('git', ['-C', repo, 'commit', '-q', '-m', i === 17 ? 'mm: break pinning' : i === 24 ? 'mm: fix pinning' : `commit ${i}`], { env: { ...env, GIT_COMMITTER_DATE: `${1_600_000_000 + i * 60} +0000`, GIT_AUTHOR_DATE: `${1_600_000_000 + i * 60} +0000` } });
    shas.push((await execa('git', ['-C', repo, 'rev-parse', 'HEAD'])).stdout);
  }
  return { dir, repo, shas, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
