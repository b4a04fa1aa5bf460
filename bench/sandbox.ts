/**
 * bench/sandbox — what the build sandbox (packages/sandbox, bwrap) costs on
 * this machine, each figure against its unconfined baseline in the same run.
 *
 * Input: the vfio demo fixture (reproducers/scripts/make-vfio-demo-fixture.sh
 *   builds it once); CCACHE_DIR, a warm ccache, which is copied and never
 *   written; --jobs N (default 2); --runs N (default 15); --no-build skips the
 *   kernel builds (part 2); --sandboxed-only builds only the sandboxed half of part 2
 *   (no ratio then: the hit counts are its point). Needs scripts/setup (bwrap, the kbisect-sandbox user).
 * Output (stdout):
 *   1. median wall time of one sandboxed command (`make kernelversion` in the
 *      tree: bwrap + setpriv + chown of the writable dirs) vs the same make
 *      unconfined, runs interleaved, and the ratio;
 *   2. a clean build of demo-bad from the warm ccache copy in a fresh work
 *      dir, unconfined and then sandboxed (same paths layout, so the same
 *      ccache keys): seconds, ccache hits and misses of each, and the ratio;
 *      then demo-bad~1 in the sandboxed work dir (an incremental step);
 *   (between 1 and 2, as root) handing the worktree to the sandbox uid after
 *   root checked out the neighbouring commit: `chown -R` of the whole tree
 *   vs the OwnershipLedger (directories' mtimes), medians and the ratio.
 * Work dirs under $TMPDIR, removed.
 */
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { openRepo, validateRepoSource } from '@kbisect/git';
import { ArtifactCache, buildKernel, loadFragments, runMake } from '@kbisect/kbuild';
import { openSandbox, OwnershipLedger, unconfinedSandbox, type Sandbox } from '@kbisect/sandbox';

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const jobs = flag('--jobs', 2);
const runs = flag('--runs', 15);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const opened = await openSandbox('on', process.env.KBISECT_SANDBOX_USER ?? 'kbisect-sandbox');
if (opened.status !== 'ready') throw new Error(`the sandbox is not usable here: ${'reason' in opened ? opened.reason : opened.status}`);
const confined = opened.sandbox;
const unconfined = unconfinedSandbox();
const fixture = (await execa(resolve(import.meta.dirname, '../reproducers/scripts/make-vfio-demo-fixture.sh'))).stdout.trim();
const scratch = await mkdtemp(join(tmpdir(), 'kbisect-sandbox-bench-'));
try {
  const repo = await openRepo(validateRepoSource(fixture), { cacheDir: join(scratch, 'cache') });
  const bad = await repo.resolveCommit('demo-bad', 'bad');

  // 1. One sandboxed make vs one unconfined make.
  const src = join(scratch, 'tree');
  await repo.checkoutWorktree(src, bad);
  const out = join(scratch, 'out');
  await mkdir(out);
  const times: Record<'unconfined' | 'bwrap', number[]> = { unconfined: [], bwrap: [] };
  for (let i = 0; i < runs; i++) {
    for (const [name, sandbox] of [['unconfined', unconfined], ['bwrap', confined]] as const) {
      const t0 = performance.now();
      const r = await runMake(['kernelversion'], { srcDir: src, outDir: out, cc: 'gcc-12', sandbox, gitDir: repo.gitDir, timeoutMs: 60_000 });
      if (r.exitCode !== 0) throw new Error(`make kernelversion (${name}) failed: ${r.output.slice(-500)}`);
      times[name].push(performance.now() - t0);
    }
  }
  const [u, b] = [median(times.unconfined), median(times.bwrap)];
  console.log(`one make (kernelversion), median of ${runs}: unconfined ${u.toFixed(0)} ms, sandboxed ${b.toFixed(0)} ms (${(b / u).toFixed(2)}x, +${(b - u).toFixed(0)} ms)`);

  // 2. Handing the tree to the sandbox uid before a run, after root checked out the neighbouring commit.
  if (opened.uid !== 'self') {
    const who = { uid: opened.uid, gid: Number((await execa('id', ['-g', String(opened.uid)])).stdout) };
    const older = await repo.resolveCommit('demo-bad~1', 'step');
    const git = (commit: string): Promise<unknown> => execa('git', ['-c', 'safe.directory=*', '-C', src, 'checkout', '-q', '--detach', commit]);
    const ledger = new OwnershipLedger(who);
    await ledger.lend([src]);
    const lend: Record<'chown -R' | 'ledger', number[]> = { 'chown -R': [], ledger: [] };
    let listed = 0;
    for (let i = 0; i < runs; i++) {
      for (const name of ['chown -R', 'ledger'] as const) {
        await git(i % 2 === 0 ? older : bad);
        await git(i % 2 === 0 ? bad : older);
        const t0 = performance.now();
        if (name === 'ledger') listed = (await ledger.lend([src])).dirsListed;
        else await execa('chown', ['-R', '--no-dereference', `${who.uid}:${who.gid}`, '--', src]);
        lend[name].push(performance.now() - t0);
      }
    }
    const [full, inc] = [median(lend['chown -R']), median(lend.ledger)];
    console.log(`handing the worktree (${(await execa('git', ['-c', 'safe.directory=*', '-C', src, 'ls-files'])).stdout.split('\n').length} files) to the sandbox uid after two checkouts, median of ${runs}: chown -R ${full.toFixed(0)} ms, ledger ${inc.toFixed(0)} ms (${listed} directories listed; ${(inc / full).toFixed(2)}x)`);
  }

  if (!process.argv.includes('--no-build')) {
    const warm = process.env.CCACHE_DIR;
    if (!warm) throw new Error('set CCACHE_DIR to a warm ccache (it is copied, not written)');
    const ccache = join(scratch, 'ccache');
    await cp(warm, ccache, { recursive: true });
    const stats = async (): Promise<{ hits: number; misses: number }> => {
      const text = String((await execa('ccache', ['--print-stats'], { env: { CCACHE_DIR: ccache } })).stdout);
      const n = (key: string): number => Number(new RegExp(`^${key}\\t(\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      return { hits: n('direct_cache_hit') + n('preprocessed_cache_hit'), misses: n('cache_miss') };
    };
    const fragments = await loadFragments(['qemu-x86_64', 'iommu-vfio', 'thp']);
    const build = async (label: string, workDir: string, commit: string, sandbox: Sandbox): Promise<number> => {
      await execa('ccache', ['--zero-stats'], { env: { CCACHE_DIR: ccache } });
      const t0 = performance.now();
      const r = await buildKernel(repo, new ArtifactCache(join(scratch, `artifacts-${label}`), 20e9), join(scratch, workDir), { commit, fragments, required: ['CONFIG_TRANSPARENT_HUGEPAGE'], jobs, ccacheDir: ccache, sandbox });
      const s = (performance.now() - t0) / 1000;
      const st = await stats();
      console.log(`${label.padEnd(40)} ${s.toFixed(1).padStart(7)} s  ${r.kind === 'built' ? 'built' : `skip: ${r.reason}`}; ccache ${st.hits} hits, ${st.misses} misses`);
      return s;
    };
    console.log(`kernel builds: the vfio demo fixture, qemu-x86_64 + iommu-vfio + thp, make -j${jobs}, from a copy of ${warm}`);
    const plain = process.argv.includes('--sandboxed-only') ? undefined : await build('clean build, warm ccache, unconfined', 'w-plain', bad, unconfined);
    const boxed = await build('clean build, warm ccache, sandboxed', 'w-boxed', bad, confined);
    if (plain !== undefined) console.log(`sandboxed / unconfined clean build: ${(boxed / plain).toFixed(2)}x`);
    await build('incremental (demo-bad~1), sandboxed', 'w-boxed', await repo.resolveCommit('demo-bad~1', 'step'), confined);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
