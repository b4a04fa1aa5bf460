/**
 * bench/run-vs-git — wall time per step of `kbisect run` against `git bisect
 * run` on a kernel tree (~78,000 files), same test, same machine, same run.
 *
 * Input: the linux-source-6.1 demo fixture (reproducers/scripts/
 *        make-vfio-demo-fixture.sh; tags v6.1-base and demo-bad), flags
 *        --reps N (default 3): repetitions of both tools, interleaved;
 *        --old-reps N (default 1, 0 skips it): the old behaviour, a fresh
 *        worktree per step, driven through the same runBisection;
 *        KBISECT_DEMO_FIXTURE_DIR overrides the fixture path.
 * Output: per tool, the median time from one test's start to the next one's
 *         (checkout, cleaning, bisection decision, the test itself), the time
 *         to the first test, the total, and the ratio to git.
 * The test is trivial on purpose (a grep of mm/memory.c for the injected
 * regression), so what is measured is each tool's own cost per step. Run
 * with `nice -n 10`; `bench/engine.ts --run-vs-git` runs it too.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { openRepo, validateRepoSource, type Checkout, type GitRepo, type Worktree } from '@kbisect/git';
import { commandProbe, runBisection } from 'kbisect';
import { numberFlag } from './flags.js';

const BIN = resolve(import.meta.dirname, '../apps/cli/bin/kbisect.js');
const GOOD = 'v6.1-base';
const BAD = 'demo-bad';

interface Sample { readonly intervals: number[]; readonly firstTest: number; readonly total: number; readonly steps: number; readonly culprit: string | undefined }

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The test: log when it starts (ns), then good unless the regression's line is in mm/memory.c. */
function testCommand(script: string, log: string): string {
  return `sh ${script} ${log}`;
}
const SCRIPT = `#!/bin/sh
date +%s%N >> "$1"
! grep -q 'ClearPageAnonExclusive(page);' mm/memory.c
`;

async function startsOf(log: string): Promise<number[]> {
  return (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '').map((l) => Number(BigInt(l) / 1000n) / 1000);
}

function sampleOf(starts: readonly number[], t0: number, t1: number, culprit: string | undefined): Sample {
  // Milliseconds in, seconds out.
  return { intervals: starts.slice(1).map((s, i) => (s - starts[i]!) / 1000), firstTest: (starts[0]! - t0) / 1000, total: (t1 - t0) / 1000, steps: starts.length, culprit };
}

async function gitBisect(copy: string, script: string, log: string): Promise<Sample> {
  await rm(log, { force: true });
  const t0 = Date.now();
  await execa('git', ['-C', copy, 'bisect', 'start', BAD, GOOD]);
  const run = await execa('git', ['-C', copy, 'bisect', 'run', 'sh', script, log], { reject: false });
  const t1 = Date.now();
  await execa('git', ['-C', copy, 'bisect', 'reset']);
  return sampleOf(await startsOf(log), t0, t1, /^([0-9a-f]{40}) is the first bad commit/m.exec(run.stdout)?.[1]);
}

async function kbisectRun(fixture: string, cache: string, script: string, log: string): Promise<Sample> {
  await rm(log, { force: true });
  const t0 = Date.now();
  const res = await execa('node', [BIN, 'run', '--repo', fixture, '--good', GOOD, '--bad', BAD, '--test-cmd', testCommand(script, log), '--cache-dir', cache, '--json'], { reject: false });
  const t1 = Date.now();
  if (res.exitCode !== 0) throw new Error(`kbisect run failed: ${res.stderr.split('\n').slice(-3).join(' ')}`);
  return sampleOf(await startsOf(log), t0, t1, (JSON.parse(res.stdout) as { culprit?: string }).culprit);
}

/** The behaviour before one reusable worktree: a whole worktree added for each step and removed after it. */
function worktreePerStep(repo: GitRepo, base: string): Checkout {
  let n = 0;
  let current: Worktree | undefined;
  const dirOf = (): string => join(base, `step-${n}`);
  return {
    get dir() { return dirOf(); },
    async checkout(sha) {
      await current?.remove();
      n += 1;
      current = await repo.addWorktree(sha, dirOf());
    },
    revert: (culprit) => repo.revertInWorktree(dirOf(), culprit),
    async dispose() {
      await current?.remove();
      current = undefined;
    },
  };
}

async function oldBehaviour(fixture: string, cache: string, script: string, log: string): Promise<Sample> {
  await rm(log, { force: true });
  const t0 = Date.now();
  const repo = await openRepo(validateRepoSource(fixture), { cacheDir: cache, fetch: true });
  const checkout = worktreePerStep(repo, join(cache, 'worktrees', `old-${t0}`));
  const silent = { stepStarted: () => undefined, stepFinished: () => undefined, autoSkipped: () => undefined };
  try {
    const { result } = await runBisection(
      { id: `old-${t0}`, goodRefs: [GOOD], badRef: BAD },
      { git: repo, checkout, probe: commandProbe({ command: testCommand(script, log), output: 'stderr' }), reporter: silent },
    );
    return sampleOf(await startsOf(log), t0, Date.now(), result.culprit);
  } finally {
    await checkout.dispose();
  }
}

export async function runVsGit(): Promise<void> {
  const reps = numberFlag('reps', 3);
  const oldReps = numberFlag('old-reps', 1);
  const fixture = process.env.KBISECT_DEMO_FIXTURE_DIR ?? join(homedir(), '.cache/kbisect/fixtures/linux-6.1-vfio-demo');
  if (!existsSync(join(fixture, '.git'))) throw new Error(`no fixture at ${fixture}: run reproducers/scripts/make-vfio-demo-fixture.sh`);
  const scratch = await mkdtemp(join(tmpdir(), 'kbisect-run-vs-git-'));
  try {
    const script = join(scratch, 'test.sh');
    await writeFile(script, SCRIPT, { mode: 0o755 });
    // git bisect run works in a checkout: a copy of the fixture, checked out at the bad end once.
    const copy = join(scratch, 'linux');
    await execa('git', ['clone', '--quiet', '--no-checkout', fixture, copy]);
    await execa('git', ['-C', copy, 'checkout', '--quiet', '--detach', BAD]);
    const culprit = (await execa('git', ['-C', fixture, 'rev-parse', 'demo-culprit'])).stdout.trim();
    const cache = join(scratch, 'cache');
    // Warm-up (not counted): the mirror kbisect keeps, and the page cache for both.
    await kbisectRun(fixture, cache, script, join(scratch, 'warm.log'));
    await gitBisect(copy, script, join(scratch, 'warm.log'));
    const samples: Record<'git' | 'kbisect' | 'old', Sample[]> = { git: [], kbisect: [], old: [] };
    for (let r = 0; r < reps; r++) {
      // Alternate which tool goes first, so a drifting machine load favours neither.
      const order = r % 2 === 0 ? (['git', 'kbisect'] as const) : (['kbisect', 'git'] as const);
      for (const tool of order) {
        const log = join(scratch, `${tool}-${r}.log`);
        samples[tool].push(tool === 'git' ? await gitBisect(copy, script, log) : await kbisectRun(fixture, cache, script, log));
        console.error(`rep ${r + 1} ${tool}: steps ${samples[tool].at(-1)!.intervals.map((x) => x.toFixed(2)).join(' ')} s`);
      }
    }
      for (let r = 0; r < oldReps; r++) {
      samples.old.push(await oldBehaviour(fixture, cache, script, join(scratch, `old-${r}.log`)));
      if (samples.old.at(-1)!.culprit === undefined) throw new Error('the old behaviour found no culprit');
      console.error(`old ${r + 1}: steps ${samples.old.at(-1)!.intervals.map((x) => x.toFixed(2)).join(' ')} s`);
    }

    const gitStep = median(samples.git.flatMap((s) => s.intervals));
    console.log(`kbisect run vs git bisect run on the linux-source-6.1 fixture (${GOOD}..${BAD}, ${(await execa('git', ['-C', fixture, 'ls-files'])).stdout.split('\n').length} files), trivial test, ${reps} repetitions`);
    console.log('tool                            | steps | per step: median (min-max) s | first test s | total s | per step vs git | culprit');
    const rows: [string, Sample[]][] = [['git bisect run', samples.git], ['kbisect run (one worktree)', samples.kbisect]];
    if (oldReps > 0) rows.push(['kbisect, worktree per step (old)', samples.old]);
    for (const [name, ss] of rows) {
      const all = ss.flatMap((s) => s.intervals);
      const step = median(all);
      const right = ss.every((s) => s.culprit === culprit) ? 'right' : 'WRONG';
      console.log(`${name.padEnd(31)} | ${String(median(ss.map((s) => s.steps))).padStart(5)} | ${step.toFixed(2).padStart(6)} (${Math.min(...all).toFixed(2)}-${Math.max(...all).toFixed(2)})${' '.repeat(12)} | ${median(ss.map((s) => s.firstTest)).toFixed(2).padStart(12)} | ${median(ss.map((s) => s.total)).toFixed(2).padStart(7)} | ${(step / gitStep).toFixed(2).padStart(14)}x | ${right}`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runVsGit();
