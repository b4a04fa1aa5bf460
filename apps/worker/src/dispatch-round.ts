import { runFields, runKey, runRef, type Progress, type RunRef } from '@kbisect/bisect';
import { cachedCandidates } from './cached-candidates.js';
import { sharedSlot } from './shared-slot.js';
import { probeFingerprint, stepNames, type BisectionStore, type BuildJob, type CachedRun, type CommandTestJob, type Loaded as LoadedBisection, type LogEvent, type RoundRun, type RunSlot, type StepRun, type Claim, type VerdictCache } from '@kbisect/service';

/** Shared results (issue #18, point 4): the cache, the toolchain the fingerprint names, and how to wake a waiting bisection. */
export interface SharedResults {
  readonly cache: VerdictCache;
  /** The build workers' toolchain table, named (toolchainIdentity): part of a kernel probe's fingerprint. */
  readonly toolchain: string;
  readonly wake: (bisectionIds: readonly string[]) => Promise<void>;
  /**
   * Orchestrates a bisection that waits for another's test again later, even
   * if nothing wakes it: a claim whose holder went away without letting go
   * (its lease lapsed, or it ended in a pass that crashed before releasing)
   * is then taken and the run tested here. @defaultValue none (woken only)
   */
  readonly recheck?: (bisectionId: string) => Promise<void>;
}

export interface RoundDeps {
  readonly store: BisectionStore;
  readonly now: () => Date;
  readonly enqueueTest: (job: CommandTestJob, opts: { attempts: number; priority: number }) => Promise<void>;
  readonly enqueueBuild: (job: BuildJob, opts: { attempts: number; priority: number }) => Promise<void>;
  readonly dropWaiting?: (run: StepRun) => Promise<boolean>;
  readonly shared?: SharedResults;
}

/** A run to have tested, with the engine's progress to show beside it. */
export interface RoundItem {
  readonly ref: RunRef;
  readonly progress: Progress;
}

/** The fingerprint a bisection's runs are cached under (whether or not it takes from the cache). */
export function fingerprintOf(loaded: LoadedBisection, shared: SharedResults | undefined): string | undefined {
  const created = loaded.fold.created;
  if (!shared || !created) return undefined;
  return probeFingerprint({ request: created.request, tree: created.tree, toolchain: shared.toolchain });
}

/** The fingerprint a bisection takes results and claims tests under; undefined when it does not share (no cache, or `reuse: false`). */
export function sharingFingerprint(loaded: LoadedBisection, shared: SharedResults | undefined): string | undefined {
  return loaded.fold.created?.request.options?.reuse === false ? undefined : fingerprintOf(loaded, shared);
}

/** The cache slot of one of this bisection's runs under `fingerprint` (its policy decides which runs share: sharedSlot). */
export function slotIn(loaded: LoadedBisection, ref: RunRef, fingerprint: string): RunSlot | undefined {
  return sharedSlot(ref, fingerprint, loaded.replayed.phase === 'bisecting' ? loaded.replayed.state.policy : undefined);
}

/**
 * Hands out one round: each run is answered from the cache (a verdict event
 * marked reused, linking the original bisection's evidence), left to the
 * bisection already testing the same (commit, fingerprint, run), or queued
 * here. The runs new to this bisection are recorded as a `round` event.
 * Returns true when a reused verdict was recorded (the engine moved: the
 * caller orchestrates again).
 */
export async function dispatchRound(id: string, loaded: LoadedBisection, items: readonly RoundItem[], k: number, deps: RoundDeps): Promise<boolean> {
  const created = loaded.fold.created;
  if (!created) return false;
  const fp = sharingFingerprint(loaded, deps.shared);
  const placed: { item: RoundItem; via: RoundRun; cached?: CachedRun }[] = [];
  let disputes: ReturnType<typeof cachedCandidates> | undefined;
  for (const item of items) {
    const fields = runFields(item.ref);
    const slot = fp === undefined ? undefined : slotIn(loaded, item.ref, fp);
    if (slot === undefined || !deps.shared) {
      placed.push({ item, via: { ...fields, via: 'test' } });
      continue;
    }
    const claim = await claimOrTakeOver(deps.shared.cache, deps.store, slot, id);
    // A cached verdict another cached one contradicts is not taken: this bisection's own test settles it.
    const disputed = claim.kind === 'cached' && fp !== undefined ? (await (disputes ??= cachedCandidates(loaded, fp, deps.shared.cache))).disputed.get(item.ref.commit) : undefined;
    if (disputed !== undefined) placed.push({ item, via: { ...fields, via: 'test', disputed } });
    else if (claim.kind === 'cached') placed.push({ item, via: { ...fields, via: 'reused', from: claim.run.bisection }, cached: claim.run });
    else if (claim.kind === 'shared') placed.push({ item, via: { ...fields, via: 'shared', from: claim.from } });
    else placed.push({ item, via: { ...fields, via: 'test' } });
  }
  // A run shown once keeps its line, unless how it is answered changed (a shared test that ended in a skip is tested here).
  const shown = new Set(loaded.fold.rounds.flatMap((r) => r.runs.map((run) => `${runKey(run)}|${run.via}`)));
  const fresh = placed.filter((p) => !shown.has(`${runKey(p.via)}|${p.via.via}`));
  const at = deps.now().toISOString();
  if (fresh.length > 0) {
    await deps.store.log.appendOnce(id, `round:${runKey(fresh[0]!.via)}:${fresh[0]!.via.via}`, { type: 'round', at, n: loaded.fold.rounds.length + 1, k, runs: fresh.map((p) => p.via) });
  }
  // Waiting on another bisection's test: look again later, whoever wakes us (or fails to).
  if (placed.some((p) => p.via.via === 'shared')) await deps.shared?.recheck?.(id);
  const options = created.request.options;
  const opts = { attempts: 1 + (options?.retries ?? 2), priority: options?.priority ?? 50 };
  let reused = false;
  for (const { item, via, cached } of placed) {
    if (cached) {
      // Only a verdict actually logged moves the engine: one logged before (and refused) must not make the caller loop.
      reused = (await deps.store.log.appendOnce(id, stepNames.verdictToken(item.ref), reusedVerdict(item.ref, cached, at))) !== undefined || reused;
      continue;
    }
    if (via.via === 'shared') continue;
    const index = loaded.replayed.phase === 'bisecting' ? loaded.replayed.state.graph.commits.indexOf(item.ref.commit) : -1;
    const subject = loaded.replayed.phase === 'bisecting' ? loaded.replayed.state.graph.subjects?.[index] : undefined;
    const step = { bisectionId: id, ...runFields(item.ref), progress: item.progress, ...(subject !== undefined ? { subject } : {}) };
    if (created.request.probe.type === 'kernel') await deps.enqueueBuild({ kind: 'build', ...step }, opts);
    else await deps.enqueueTest({ kind: 'command-test', ...step }, opts);
  }
  return reused;
}

/**
 * Asks the cache for a run for `id`. A claim still held by a bisection that
 * has ended (or does not exist) was left behind — it ended in a pass that
 * crashed before letting go — so it is taken over and the run tested here.
 */
async function claimOrTakeOver(cache: VerdictCache, store: BisectionStore, slot: RunSlot, id: string): Promise<Claim> {
  const claim = await cache.claim(slot, id);
  if (claim.kind !== 'shared' || !(await hasEnded(store, claim.from))) return claim;
  return (await cache.takeOver(slot, claim.from, id)) ? { kind: 'mine' } : cache.claim(slot, id);
}

async function hasEnded(store: BisectionStore, id: string): Promise<boolean> {
  const { fold } = await store.load(id);
  return fold.created === undefined || fold.finished !== undefined;
}

/** A cached run as this bisection's verdict event: marked reused, linking the original bisection's evidence. */
export function reusedVerdict(ref: RunRef, cached: CachedRun, at: string): Extract<LogEvent, { type: 'verdict' }> {
  const { revert: _revert, ...fields } = runFields(ref);
  return {
    type: 'verdict', at, ...fields, source: 'probe', verdict: cached.verdict, reason: cached.reason,
    reused: { bisection: cached.bisection, run: cached.run, ...(cached.purpose !== undefined ? { purpose: cached.purpose } : {}), ...(cached.evidence !== undefined ? { evidence: cached.evidence } : {}), ...(cached.buildEvidence !== undefined ? { buildEvidence: cached.buildEvidence } : {}) },
    ...(cached.metrics !== undefined ? { metrics: cached.metrics } : {}),
    ...(cached.machine !== undefined ? { machine: cached.machine } : {}),
  };
}

/**
 * Drops runs no longer wanted while they still wait in their queue (a run
 * already being tested finishes and is recorded); a dropped run's claim on
 * the shared cache is given up and whoever waited for it is woken.
 */
export async function dropRuns(id: string, loaded: LoadedBisection, refs: readonly RunRef[], deps: RoundDeps): Promise<void> {
  if (!deps.dropWaiting) return;
  const fp = sharingFingerprint(loaded, deps.shared);
  for (const ref of refs) {
    const dropped = await deps.dropWaiting({ bisectionId: id, ...runFields(ref) });
    const slot = fp === undefined ? undefined : slotIn(loaded, ref, fp);
    if (dropped && slot !== undefined && deps.shared) await deps.shared.wake(await deps.shared.cache.release(slot, id));
  }
}

/** Runs handed out as tests that have no verdict and that the engine no longer asks for (flaky policies' extra runs after it moved on). */
export function unwantedRuns(loaded: LoadedBisection, wanted: readonly RunRef[]): RunRef[] {
  const keep = new Set(wanted.map((r) => runKey(r)));
  const out = new Map<string, RunRef>();
  for (const round of loaded.fold.rounds) {
    for (const run of round.runs) {
      const key = runKey(run);
      if (run.via === 'test' && !keep.has(key) && loaded.fold.runs[key] === undefined) out.set(key, runRef(run));
    }
  }
  return [...out.values()];
}
