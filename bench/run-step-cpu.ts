/**
 * bench/run-step-cpu — CPU time per tested commit of `kbisect run`'s loop
 * against `git bisect run` on the linux-source-6.1 demo fixture (~78,000
 * files), each in its own worktree of one mirror, same test, same run.
 *
 * Why CPU and not wall time: on a shared machine under load, wall time mostly
 * measures the scheduler (git's checkout stats the tree in up to 20 threads,
 * kbisect's directory pass runs in one); CPU time says what each tool costs.
 * bench/run-vs-git.ts gives the wall times; `bench/engine.ts --run-vs-git` runs both.
 *
 * Input: the fixture (tags v6.1-base, demo-bad; KBISECT_DEMO_FIXTURE_DIR
 *        overrides its path), --reps N (default 3), interleaved.
 * kbisect: runBisection (what `kbisect run` runs) with the real reusable
 *        checkout and command probe, in this process: its own CPU
 *        (process.cpuUsage) plus its children's (git, the test's shell).
 * git:   `git bisect start` + `git bisect run` in a worktree of its own: the
 *        children's CPU of this process (/proc/self/stat cutime + cstime,
 *        10 ms ticks, summed over the run).
 * Both include their setup (reading the range; git's first checkout) and
 * leave out the worktree's creation. Output: per tool, median CPU per tested
 * commit, and kbisect's ratio to git.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { commandProbe, runBisection } from 'kbisect';
import { numberFlag } from './flags.js';
import { median } from './median.js';

const GOOD = 'v6.1-base';
const BAD = 'demo-bad';
const SCRIPT = `#!/bin/sh
! grep -q 'ClearPageAnonExclusive(page);' mm/memory.c
`;

/** CPU (ms) of this process's waited-for children so far. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // Fields 16 and 17 of stat(5) (cutime, cstime), counted after the ") ": indexes 13 and 14; ticks of 10 ms.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

export async function runStepCpu(): Promise<void> {
  const reps = numberFlag('reps', 3);
  const fixture = process.env.KBISECT_DEMO_FIXTURE_DIR ?? join(homedir(), '.cache/kbisect/fixtures/linux-6.1-vfio-demo');
  if (!existsSync(join(fixture, '.git'))) throw new Error(`no fixture at ${fixture}: run reproducers/scripts/make-vfio-demo-fixture.sh`);
  const scratch = await mkdtemp(join(tmpdir(), 'kbisect-run-step-cpu-'));
  const repo = await openRepo(validateRepoSource(fixture), { cacheDir: join(scratch, 'cache'), fetch: true });
  const checkout = repo.openCheckout(join(scratch, 'cache', 'worktrees', 'bench'));
  const gitTree = await repo.addWorktree(await repo.resolveCommit(BAD, 'bad'), join(scratch, 'cache', 'worktrees', 'git'));
  try {
    const script = join(scratch, 'test.sh');
    await writeFile(script, SCRIPT, { mode: 0o755 });
    const probe = commandProbe({ command: `sh ${script}`, output: 'stderr' });
    const silent = { stepStarted: () => undefined, stepFinished: () => undefined, autoSkipped: () => undefined };
    const kbisect = async (): Promise<{ perStep: number; steps: number; culprit: string | undefined }> => {
      const self0 = process.cpuUsage();
      const children0 = childrenCpuMs();
      const { result } = await runBisection({ id: 'cpu', goodRefs: [GOOD], badRef: BAD }, { git: repo, checkout, probe, reporter: silent });
      const self = process.cpuUsage(self0);
      return { perStep: ((self.user + self.system) / 1000 + childrenCpuMs() - children0) / result.steps, steps: result.steps, culprit: result.culprit };
    };
    const git = async (): Promise<{ perStep: number; steps: number; culprit: string | undefined }> => {
      const at = ['-C', join(scratch, 'cache', 'worktrees', 'git')];
      const children0 = childrenCpuMs();
      await execa('git', [...at, 'bisect', 'start', BAD, GOOD]);
      const run = await execa('git', [...at, 'bisect', 'run', 'sh', script], { reject: false });
      const spent = childrenCpuMs() - children0;
      await execa('git', [...at, 'bisect', 'reset']);
      const steps = run.stdout.split('\n').filter((l) => l.startsWith('running ')).length;
      return { perStep: spent / steps, steps, culprit: /^([0-9a-f]{40}) is the first bad commit/m.exec(run.stdout)?.[1] };
    };
    // Warm-up (not counted): the worktree itself, and the page cache for both.
    await kbisect();
    await git();
    const culprit = (await execa('git', ['-C', fixture, 'rev-parse', 'demo-culprit'])).stdout.trim();
    const samples: Record<'git' | 'kbisect', number[]> = { git: [], kbisect: [] };
    const loads = [loadavg()[0]!];
    for (let r = 0; r < reps; r++) {
      for (const tool of r % 2 === 0 ? (['git', 'kbisect'] as const) : (['kbisect', 'git'] as const)) {
        const s = tool === 'git' ? await git() : await kbisect();
        if (s.culprit !== culprit) throw new Error(`${tool} named ${s.culprit ?? 'no culprit'}, not demo-culprit`);
        samples[tool].push(s.perStep);
        loads.push(loadavg()[0]!);
        console.error(`rep ${r + 1} ${tool}: ${s.steps} tests, ${s.perStep.toFixed(0)} ms CPU per test`);
      }
    }
    const gitMs = median(samples.git);
    const kbisectMs = median(samples.kbisect);
    console.log(`CPU per tested commit on the linux-source-6.1 fixture (${GOOD}..${BAD}), one worktree, trivial test, ${reps} repetitions, load average (1 min) ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
    console.log(`git bisect run  ${gitMs.toFixed(0).padStart(5)} ms (${samples.git.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(`kbisect run     ${kbisectMs.toFixed(0).padStart(5)} ms (${samples.kbisect.map((x) => x.toFixed(0)).join(', ')})  ${(kbisectMs / gitMs).toFixed(2)}x git`);
  } finally {
    await checkout.dispose();
    await gitTree.remove();
    await rm(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runStepCpu();
