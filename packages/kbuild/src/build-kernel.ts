import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Sandbox } from '@kbisect/sandbox';
import { ArtifactCache, type CachedBuild } from './artifact-cache.js';
import { BuildInfraError } from './build-errors.js';
import { classifyBuildFailure } from './build-failure.js';
import { killStaleGroup } from './build-process-group.js';
import type { Fragment } from './config-merge.js';
import { configureKernel } from './configure-kernel.js';
import { makeVersionText, runMake } from './kernel-make.js';
import { makeCompatArgs, makeVersionOf } from './make-compat.js';
import { ccString, kernelVersion, pickToolchain, type Toolchain } from './toolchain.js';

/** The git operations a build needs; GitRepo provides them. */
export interface BuildTree {
  /** The repository its worktrees belong to (bound read-only into the build sandbox for git). */
  readonly gitDir: string;
  treeOf(sha: string): Promise<string>;
  readFileAt(sha: string, path: string): Promise<string | null>;
  checkoutWorktree(dir: string, sha: string): Promise<void>;
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  cherryPickInWorktree(dir: string, fix: string): Promise<void>;
  revertInWorktree(dir: string, culprit: string): Promise<void>;
}

/** A fix some old commits lack: applied when `fixes` is an ancestor of the commit and `fix` is not. */
export interface Fixup {
  readonly fix: string;
  readonly fixes: string;
}

export interface BuildRequest {
  readonly commit: string;
  readonly fragments: readonly Fragment[];
  /** e.g. CONFIG_TRANSPARENT_HUGEPAGE: a commit where olddefconfig drops one is a skip. */
  readonly required: readonly string[];
  /** @defaultValue 2 */
  readonly jobs?: number;
  /** @defaultValue 3600 s */
  readonly timeoutSec?: number;
  /** @defaultValue true */
  readonly ccache?: boolean;
  /** @defaultValue $CCACHE_DIR or the worker dir's ccache/ */
  readonly ccacheDir?: string;
  /** Overrides the version table. */
  readonly toolchain?: Toolchain;
  readonly fixups?: readonly Fixup[];
  /**
   * `force`: where a required symbol depends on BROKEN, drop that dependency
   * (in the worktree only) and build anyway; the outcome says `forced`.
   * @defaultValue 'skip'
   */
  readonly untestable?: 'skip' | 'force';
  /**
   * make-compat.ts's arguments for old Kbuild under make ≥ 4.3; off only to
   * measure what they save (bench/kbuild).
   * @defaultValue true
   */
  readonly makeCompat?: boolean;
  /** Build `commit` with this commit reverted on top (a culprit's revert check). */
  readonly revert?: string;
  /**
   * Where every `make` runs: the tree's Makefile is its author's code. The
   * service's build worker passes its bwrap sandbox; local tools and benches
   * pass unconfinedSandbox() on their own trees.
   */
  readonly sandbox: Sandbox;
  /**
   * Aborting stops the build between steps or kills its make (a speculative
   * build made moot); the outcome is then `cancelled`. Kbuild's command
   * records make a killed build's half-written objects rebuild next time.
   */
  readonly signal?: AbortSignal;
}

export type BuildOutcome =
  | { readonly kind: 'built'; readonly artifacts: CachedBuild; readonly fromCache: boolean; readonly seconds: number; readonly forced: readonly string[] }
  | { readonly kind: 'skip'; readonly reason: string; readonly log: string }
  /** The requested revert does not apply: no kernel, and no verdict on the commit either. */
  | { readonly kind: 'revert-failed'; readonly reason: string; readonly log: string }
  /** Stopped through `signal` before a kernel was made; nothing was cached. */
  | { readonly kind: 'cancelled'; readonly reason: string; readonly log: string };

/**
 * Builds the kernel of one commit for a build worker that keeps `workDir`
 * from step to step: one worktree moved from commit to commit, and one
 * out-of-tree build directory per merged-config hash, so a step recompiles
 * only what changed and a config flip never spoils another config's objects.
 */
export async function buildKernel(tree: BuildTree, cache: ArtifactCache, workDir: string, req: BuildRequest): Promise<BuildOutcome> {
  const started = Date.now();
  const toolchain = req.toolchain ?? pickToolchain(kernelVersion((await tree.readFileAt(req.commit, 'Makefile')) ?? ''));
  const toolchainId = await toolchainIdOf(toolchain);
  const applicable = await applicableFixups(tree, req.commit, req.fixups ?? []);
  const force = req.untestable === 'force';
  const configInput = createHash('sha256').update(JSON.stringify(['tinyconfig', req.fragments.map((f) => [f.name, f.text]), [...req.required].sort(), force])).digest('hex');
  const key = ArtifactCache.keyOf({ tree: await tree.treeOf(req.commit), configInput, toolchain: toolchainId, fixups: applicable, ...(req.revert ? { revert: req.revert } : {}) });
  const hit = await cache.get(key);
  if (hit) return { kind: 'built', artifacts: hit, fromCache: true, seconds: (Date.now() - started) / 1000, forced: (hit.meta.forced as string[] | undefined) ?? [] };

  const src = join(workDir, 'src');
  const log = join(workDir, `build-${req.commit.slice(0, 12)}.log`);
  await mkdir(workDir, { recursive: true });
  const groupFile = join(workDir, 'make.pgid');
  const stale = await killStaleGroup(groupFile, workDir);
  await rm(log, { force: true });
  if (stale.length > 0) await appendFile(log, `kbisect: killed ${stale.length} processes of an earlier build in this work dir (its worker died)\n`);
  const cancelled = { kind: 'cancelled', reason: 'the build was stopped before it made a kernel', log } as const;
  if (req.signal?.aborted) return cancelled;
  await tree.checkoutWorktree(src, req.commit);
  for (const fix of applicable) {
    try {
      await tree.cherryPickInWorktree(src, fix);
    } catch (err) {
      return { kind: 'skip', reason: `build fixup ${fix.slice(0, 12)} does not apply: ${err instanceof Error ? err.message : String(err)}`, log };
    }
  }
  if (req.revert) {
    try {
      await tree.revertInWorktree(src, req.revert);
    } catch (err) {
      return { kind: 'revert-failed', reason: `reverting ${req.revert.slice(0, 12)} on ${req.commit.slice(0, 12)} does not apply: ${err instanceof Error ? err.message : String(err)}`, log };
    }
    await appendFile(log, `kbisect: building ${req.commit} with ${req.revert} reverted\n`);
  }
  const forced = force ? await dropBrokenDependencies(src, req.required) : [];
  const ccache = req.ccache ?? true;
  const cc = ccString(toolchain, ccache);
  const env = { CCACHE_DIR: req.ccacheDir ?? process.env.CCACHE_DIR ?? join(workDir, 'ccache'), CCACHE_BASEDIR: src };
  await mkdir(env.CCACHE_DIR, { recursive: true });
  const sandbox = req.sandbox;
  const configured = await configureKernel({ srcDir: src, outDir: join(workDir, 'config-scratch'), fragments: req.fragments, required: req.required, cc, sandbox, gitDir: tree.gitDir, env, logFile: log, groupFile });
  if (!configured.ok) return { kind: 'skip', reason: configured.reason, log };
  if (req.signal?.aborted) return cancelled;
  const compatArgs = req.makeCompat === false ? [] : makeCompatArgs(await readFile(join(src, 'scripts/Kbuild.include'), 'utf8').catch(() => null), makeVersionOf(await makeVersionText()));
  if (compatArgs.length > 0) await appendFile(log, `kbisect: this tree's Kbuild.include predates make 4.3's '#' handling: passing ${compatArgs.map((a) => `'${a}'`).join(' ')} so .cmd files stay readable and the next step rebuilds only what changed\n`);
  const out = join(workDir, 'build', configured.hash.slice(0, 16));
  await mkdir(out, { recursive: true });
  await writeFile(join(out, '.config'), configured.config);
  const run = await runMake(['bzImage'], { srcDir: src, outDir: out, cc, sandbox, gitDir: tree.gitDir, compatArgs, jobs: req.jobs ?? 2, timeoutMs: (req.timeoutSec ?? 3600) * 1000, env, logFile: log, groupFile, ...(req.signal ? { signal: req.signal } : {}) });
  if (run.cancelled) return cancelled;
  if (run.exitCode !== 0 || run.timedOut) {
    const failure = classifyBuildFailure(run);
    if (failure.kind === 'infra') throw new BuildInfraError(`${req.commit}: ${failure.reason}`);
    return { kind: 'skip', reason: failure.reason, log };
  }
  await copyFile(join(out, '.config'), join(workDir, 'last.config'));
  let modules: string | undefined;
  if (/^CONFIG_MODULES=y$/m.test(configured.config)) {
    // Modules go into a staging dir and a tarball, for the lab's initramfs.
    const staging = join(workDir, 'modules-staging');
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging);
    const m = await runMake(['modules'], { srcDir: src, outDir: out, cc, sandbox, gitDir: tree.gitDir, compatArgs, jobs: req.jobs ?? 2, timeoutMs: (req.timeoutSec ?? 3600) * 1000, env, logFile: log, groupFile, ...(req.signal ? { signal: req.signal } : {}) });
    if (m.cancelled) return cancelled;
    if (m.exitCode !== 0) {
      const failure = classifyBuildFailure(m);
      if (failure.kind === 'infra') throw new BuildInfraError(`${req.commit}: ${failure.reason}`);
      return { kind: 'skip', reason: failure.reason, log };
    }
    await runMake(['modules_install', `INSTALL_MOD_PATH=${staging}`], { srcDir: src, outDir: out, cc, sandbox, gitDir: tree.gitDir, compatArgs, writable: [staging], timeoutMs: 600_000, env, logFile: log, groupFile });
    modules = join(workDir, 'modules.tar.gz');
    await execa('tar', ['-czf', modules, '-C', staging, '.']);
  }
  const artifacts = await cache.put(
    key,
    { bzImage: join(out, 'arch/x86/boot/bzImage'), config: join(out, '.config'), systemMap: join(out, 'System.map'), log },
    { commit: req.commit, configHash: configured.hash, toolchain: toolchainId, cc, makeCompat: [...compatArgs], fixups: applicable, ...(req.revert ? { revert: req.revert } : {}), fragments: req.fragments.map((f) => f.name), forced, sandbox: run.isolation, seconds: (Date.now() - started) / 1000 },
    modules,
  );
  return { kind: 'built', artifacts, fromCache: false, seconds: (Date.now() - started) / 1000, forced };
}

/** The fixes a commit needs: it contains the broken commit but not yet its fix (syzbot's rule). */
export async function applicableFixups(tree: Pick<BuildTree, 'isAncestor'>, commit: string, fixups: readonly Fixup[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of fixups) {
    if ((await tree.isAncestor(f.fixes, commit)) && !(await tree.isAncestor(f.fix, commit))) out.push(f.fix);
  }
  return out;
}

/** The compiler as builds record it: "gcc-12-12.2.0" plus any extra flags. */
export async function toolchainIdOf(t: Toolchain): Promise<string> {
  const r = await execa(t.cc, ['-dumpfullversion'], { reject: false });
  if (r.exitCode !== 0) throw new BuildInfraError(`compiler ${t.cc} is not installed (scripts/setup installs gcc-11 and gcc-12)`);
  return `${t.cc}-${String(r.stdout).trim()}${t.flags.length ? ` ${t.flags.join(' ')}` : ''}`;
}

/**
 * For `untestable: force`: removes BROKEN from the `depends on` lines of the
 * required symbols' Kconfig entries in the worktree. Returns what it changed
 * ("CONFIG_X in mm/Kconfig"), which the outcome carries as evidence.
 */
export async function dropBrokenDependencies(src: string, required: readonly string[], tree?: { readonly gitDir: string; readonly commit: string }): Promise<string[]> {
  const changed: string[] = [];
  const names = required.map((r) => r.replace(/^CONFIG_/, ''));
  const pattern = `^[[:space:]]*(menu)?config[[:space:]]+(${names.join('|')})[[:space:]]*$`;
  // With `tree`, the files are found in the commit's tree in the mirror, not by git's discovery in `src`:
  // a worktree a sandboxed test wrote to is not the worker's (git calls it dubious) and its .git is not to be trusted.
  const grep = tree
    ? await execa('git', [`--git-dir=${tree.gitDir}`, 'grep', '-l', '-E', pattern, tree.commit, '--', '*Kconfig*'], { reject: false })
    : await execa('git', ['-C', src, 'grep', '-l', '-E', pattern, '--', '*Kconfig*'], { reject: false });
  const files = String(grep.stdout).split('\n').filter(Boolean).map((line) => (tree && line.startsWith(`${tree.commit}:`) ? line.slice(tree.commit.length + 1) : line));
  for (const file of files) {
    const path = join(src, file);
    const lines = (await readFile(path, 'utf8')).split('\n');
    let inTarget: string | undefined;
    let touched = false;
    for (let i = 0; i < lines.length; i++) {
      const head = /^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/.exec(lines[i]!);
      if (head) inTarget = names.includes(head[1]!) ? head[1] : undefined;
      else if (/^\S/.test(lines[i]!)) inTarget = undefined;
      if (inTarget && /^\s*depends on .*\bBROKEN\b/.test(lines[i]!)) {
        const cleaned = lines[i]!.replace(/\s*&&\s*BROKEN\b/, '').replace(/\bBROKEN\s*&&\s*/, '');
        lines[i] = /depends on\s+BROKEN\s*$/.test(cleaned) ? '' : cleaned;
        touched = true;
        changed.push(`CONFIG_${inTarget} in ${file}`);
      }
    }
    if (touched) await writeFile(path, lines.join('\n'));
  }
  return changed;
}
