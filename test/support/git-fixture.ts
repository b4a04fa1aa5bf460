/**
 * Real git repositories for tests and benchmarks.
 * Input: a generated history (creation-ordered parents). Output: a repository
 * written with `git fast-import` (commit dates increase with creation, so git's
 * date order equals creation order) and the sha of every commit by index.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { GeneratedHistory } from '@kbisect/bisect/testing';

export interface GitFixture {
  readonly dir: string;
  readonly shas: readonly string[];
  cleanup(): Promise<void>;
}

const GIT_ENV = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' };

/** `files`: how many files the commits cycle through; `touch`: more files a commit writes (path → text). */
export async function writeGitHistory(history: GeneratedHistory, opts: { files?: number; touch?: (i: number) => Readonly<Record<string, string>> | undefined } = {}): Promise<GitFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'kbisect-repo-'));
  await execa('git', ['init', '-q', '-b', 'main', dir], { env: GIT_ENV });
  const files = opts.files ?? 8;
  const chunks: string[] = [];
  const base = 1_600_000_000;
  history.parents.forEach((parents, i) => {
    const message = `commit ${i}\n`;
    chunks.push(`commit refs/heads/main\nmark :${i + 1}\n`);
    chunks.push(`author Dev <dev@example.org> ${base + i * 60} +0000\ncommitter Dev <dev@example.org> ${base + i * 60} +0000\n`);
    chunks.push(`data ${Buffer.byteLength(message)}\n${message}`);
    const [first, ...rest] = parents;
    if (first !== undefined) chunks.push(`from :${first + 1}\n`);
    for (const p of rest) chunks.push(`merge :${p + 1}\n`);
    const content = `${i}\n`;
    chunks.push(`M 100644 inline file-${i % files}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`);
    for (const [path, text] of Object.entries(opts.touch?.(i) ?? {})) chunks.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  });
  const marks = join(dir, '.git', 'kbisect-marks');
  await execa('git', ['-C', dir, 'fast-import', '--quiet', `--export-marks=${marks}`], { input: chunks.join(''), env: GIT_ENV });
  const shas: string[] = [];
  for (const line of (await readFile(marks, 'utf8')).split('\n')) {
    const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line);
    if (m) shas[Number(m[1]) - 1] = m[2]!;
  }
  await rm(marks);
  await execa('git', ['-C', dir, 'checkout', '-q', 'main'], { env: GIT_ENV });
  return { dir, shas, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface GitBisectOutcome {
  readonly status: 'found' | 'ambiguous';
  readonly culprit?: string;
  readonly candidates?: readonly string[];
  /** Commits `git bisect run` tested, in order. */
  readonly tested: readonly string[];
}

/**
 * Runs real `git bisect run` with a script that answers from two lists: skip
 * (exit 125) and bad (exit 1); everything else is good.
 */
export async function gitBisectRun(repo: string, opts: { bad: string; good: string; badSet: Iterable<string>; skipSet: Iterable<string>; firstParent?: boolean; scratch: string }): Promise<GitBisectOutcome> {
  const badFile = join(opts.scratch, 'bad.txt');
  const skipFile = join(opts.scratch, 'skip.txt');
  const script = join(opts.scratch, 'oracle.sh');
  await writeFile(badFile, [...opts.badSet].join('\n') + '\n');
  await writeFile(skipFile, [...opts.skipSet].join('\n') + '\n');
  await writeFile(script, oracleScript(badFile, skipFile), { mode: 0o755 });
  const start = ['-C', repo, 'bisect', 'start', ...(opts.firstParent ? ['--first-parent'] : []), opts.bad, opts.good];
  await execa('git', start, { env: GIT_ENV });
  const run = await execa('git', ['-C', repo, 'bisect', 'run', script], { env: GIT_ENV, reject: false });
  const log = await execa('git', ['-C', repo, 'bisect', 'log'], { env: GIT_ENV });
  await execa('git', ['-C', repo, 'bisect', 'reset'], { env: GIT_ENV });
  const tested = [...log.stdout.matchAll(/^git bisect (?:good|bad|skip) ([0-9a-f]{40})$/gm)].map((m) => m[1]!);
  const found = /^([0-9a-f]{40}) is the first bad commit$/m.exec(run.stdout);
  if (found) return { status: 'found', culprit: found[1]!, tested };
  const any = /could be any of:\n((?:[0-9a-f]{40}\n)+)We cannot bisect more!/.exec(run.stdout);
  if (any) return { status: 'ambiguous', candidates: any[1]!.trim().split('\n'), tested };
  throw new Error(`git bisect run ended unexpectedly:\n${run.stdout}\n${run.stderr}`);
}

/** The shell oracle shared by git bisect run and kbisect run in comparisons. */
export function oracleScript(badFile: string, skipFile: string): string {
  return `#!/bin/sh
h=$(git rev-parse HEAD)
grep -qx "$h" '${skipFile}' && exit 125
grep -qx "$h" '${badFile}' && exit 1
exit 0
`;
}

export { GIT_ENV };
