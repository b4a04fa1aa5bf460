import type { ArtifactCache, BuildOutcome } from '@kbisect/kbuild';
import { buildKernel, loadFragments } from '@kbisect/kbuild';
import { forcesRun, requiredSymbolsOf, untestableModeOf, type BisectionRequest, type KernelProbe, type UntestableMode } from '@kbisect/service';
import type { RunPurpose, RunRef } from '@kbisect/bisect';
import type { Sandbox } from '@kbisect/sandbox';
import type { OpenRepo } from './repo-port.js';
import { treeWorkDir } from './tree-work-dir.js';

/** What a build slot brings to a kernel build, whichever job asked for it (a step's own build, or one ahead of its step). */
export interface KernelBuildSlot {
  readonly openRepo: OpenRepo;
  readonly cache: ArtifactCache;
  /** This build slot's directory: per tree, one worktree and per-config build dirs, kept between steps. */
  readonly workDir: string;
  readonly jobs: number;
  readonly ccacheDir: string;
  /** Where every make of the submitted tree runs. */
  readonly sandbox: Sandbox;
  /** Where kernel-configs/ lives. @defaultValue the repository's */
  readonly fragmentDir?: string;
  /** The kernel build; a unit test of the job replaces it. @defaultValue buildKernel (make in this slot's worktree) */
  readonly build?: typeof buildKernel;
}

/** A `narrow` run is built forced (BROKEN dropped, its own cache entry); every other run of a narrowing bisection honestly. */
export function buildModeOf(mode: UntestableMode, purpose: RunPurpose): 'skip' | 'force' {
  return forcesRun(mode, purpose) ? 'force' : 'skip';
}

/**
 * The one way a run's kernel is built: the request's fragments and required
 * symbols, forced or not by the run's purpose, with its revert. A build ahead
 * and the step's own build of a run therefore share one artifact-cache entry.
 */
export async function buildRunKernel(request: BisectionRequest & { readonly probe: KernelProbe }, ref: RunRef, slot: KernelBuildSlot, signal?: AbortSignal): Promise<BuildOutcome> {
  const { probe } = request;
  const required = requiredSymbolsOf(probe, request.options);
  const fragments = await loadFragments(probe.configFragments, slot.fragmentDir);
  const repo = await slot.openRepo(request.repo);
  return (slot.build ?? buildKernel)(repo, slot.cache, treeWorkDir(slot.workDir, request.repo), {
    commit: ref.commit, fragments, required, jobs: slot.jobs, ccacheDir: slot.ccacheDir, sandbox: slot.sandbox,
    untestable: buildModeOf(untestableModeOf(probe), ref.purpose),
    ...(ref.revert ? { revert: ref.revert } : {}),
    ...(signal ? { signal } : {}),
  });
}
