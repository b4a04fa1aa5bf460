import { MAX_PARALLEL, next, runFields, runKey, runRef, terminalMessage, type BisectCommand, type BisectState } from '@kbisect/bisect';
import { narrowedOf, type BisectionRequest, type BisectionStore, type BuildJob, type CommandTestJob, type CommitInfo, type LogEvent, type StepRun } from '@kbisect/service';
import { dispatchRound, dropRuns, unwantedRuns, type RoundItem, type SharedResults } from './dispatch-round.js';
import { takeKnownVerdicts } from './known-verdicts.js';
import { extraRuns, roundK } from './round-runs.js';
import { driverStartFor, importedStart, narrowOf, openRange, probesUntestable, requiredSymbolsOf, startDriver, untestableModeOf } from '@kbisect/service/driver';
import { probeUntestable } from '@kbisect/kbuild';
import type { Sandbox } from '@kbisect/sandbox';
import { withEndpointReuseHint } from './endpoint-reuse-hint.js';
import { failBisection, releaseClaimsOf, releasePinsOf } from './fail-bisection.js';
import type { OpenRepo } from './repo-port.js';
import { recordReportFacts } from './report-facts.js';
import { reuseContradiction } from './reuse-contradiction.js';
import { gateProblem, type RequestTrust } from './request-trust.js';
import { UntrustedRequestError } from './untrusted-request-error.js';

export interface OrchestratorDeps {
  readonly store: BisectionStore;
  readonly openRepo: OpenRepo;
  /** What this worker allows, and the key that checks the API's signature on the created event. */
  readonly trust: RequestTrust;
  readonly enqueueTest: (job: CommandTestJob, opts: { attempts: number; priority: number }) => Promise<void>;
  /** Kernel probes start a step with a build; command probes go straight to a test. */
  readonly enqueueBuild: (job: BuildJob, opts: { attempts: number; priority: number }) => Promise<void>;
  /** Drops a moot run's build or test while it still waits in its queue (one already running finishes; its verdict is recorded); true when it was dropped. */
  readonly dropWaiting?: (run: StepRun) => Promise<boolean>;
  /**
   * How many tests of this probe the lab can take at once now: the ready
   * machines of a kernel probe's pool, the live test worker slots for a
   * command probe. A round's k follows it, capped by `maxParallel`.
   * @defaultValue absent: k is the request's maxParallel (1 when unset)
   */
  readonly readyCapacity?: (probe: BisectionRequest['probe']) => Promise<number>;
  /** Shared results across bisections; absent: every run is tested here. */
  readonly shared?: SharedResults;
  /** Drops the builds ahead no verdict still to come needs (all of them once the bisection stopped running). */
  readonly dropMootBuildsAhead?: (bisectionId: string, state: BisectState) => Promise<void>;
  readonly now: () => Date;
  /** The worker's cache dir: named `<cache>` in reasons readers see. */
  readonly cacheDir?: string;
  /** Runs the tree's get_maintainer.pl when the bisection ends. */
  readonly sandbox: Sandbox;
  /** Releases the artifact-store pins the bisection's builds took, once it ends (found, ambiguous, failed or cancelled). @defaultValue none (no store) */
  readonly releasePins?: (bisectionId: string) => Promise<void>;
}

export type OrchestrateOutcome = 'initialized' | 'enqueued' | 'finished' | 'already-finished' | 'failed-to-start';

/**
 * One orchestration pass: recompute the bisection from its log and do the one
 * thing it needs next. Idempotent — every write is append-once or a
 * deterministic job id — so a pass replayed after a crash changes nothing.
 */
export async function orchestrate(bisectionId: string, deps: OrchestratorDeps, pass: { readonly kLogged?: number } = {}): Promise<OrchestrateOutcome> {
  let loaded = await deps.store.load(bisectionId);
  if (loaded.replayed.phase === 'initializing') {
    const { request } = loaded.replayed;
    const created = loaded.fold.created;
    if (!request || !created) throw new Error(`bisection ${bisectionId} has no 'created' event`);
    if (loaded.replayed.cancelRequested) {
      await finishOnce(deps, bisectionId, { type: 'finished', at: deps.now().toISOString(), status: 'cancelled' });
      return 'finished';
    }
    try {
      // Before anything is cloned: a request the API did not vouch for never reaches git.
      const untrusted = gateProblem(bisectionId, created, deps.trust);
      if (untrusted) throw new UntrustedRequestError(untrusted);
      // The token's range cap (signed by the API) is checked on the count, before the graph is read.
      const initialized = await initialize(request, created.grant?.maxRangeCommits, deps);
      await deps.store.saveGraph(bisectionId, initialized.graph);
      await deps.store.log.appendOnce(bisectionId, 'initialized', { type: 'initialized', at: deps.now().toISOString(), ...initialized.event });
    } catch (err) {
      // The taxonomy decides: the submitter's or the operator's problem ends the bisection; the machinery's is retried.
      const message = terminalMessage(err);
      if (message === undefined) throw err;
      await failBisection(deps, bisectionId, message);
      return 'failed-to-start';
    }
    loaded = await deps.store.load(bisectionId);
  }
  const { replayed } = loaded;
  if (replayed.phase === 'failed-to-start') {
    await finishOnce(deps, bisectionId, { type: 'finished', at: deps.now().toISOString(), status: 'failed', error: replayed.error });
    return 'failed-to-start';
  }
  if (replayed.phase !== 'bisecting') return 'initialized';
  const { state } = replayed;
  await deps.dropMootBuildsAhead?.(bisectionId, state);
  if (state.status === 'running') {
    // Re-checked on every pass: an 'initialized' event written into Redis does not get a step enqueued.
    const untrusted = loaded.fold.created ? gateProblem(bisectionId, loaded.fold.created, deps.trust) : 'no created event';
    if (untrusted) {
      await deps.store.log.appendOnce(bisectionId, 'untrusted', { type: 'failed', at: deps.now().toISOString(), error: untrusted });
      // The failure ends the engine's run: the next pass finishes the bisection with the reason.
      return orchestrate(bisectionId, deps);
    }
    await deps.store.setStatus(bisectionId, 'running');
    const request = loaded.fold.created?.request;
    const ready = request && deps.readyCapacity ? await deps.readyCapacity(request.probe) : undefined;
    const k = ready !== undefined ? roundK(ready, request?.options?.maxParallel) : (request?.options?.maxParallel ?? 1);
    // Multisection follows the lab: the engine hears the new k as a logged event, so a replay finds the same rounds.
    // (Once per pass: an event the engine did not take must not be written again and again.)
    // Whether the engine takes a k is its own to say (today the deterministic policy; a batch chooser may add bayes).
    if (ready !== undefined && k !== (state.parallel ?? 1) && pass.kLogged !== k && takesParallel(state, k)) {
      await deps.store.log.append(bisectionId, { type: 'parallel', at: deps.now().toISOString(), k, ready, cap: request?.options?.maxParallel ?? MAX_PARALLEL });
      return orchestrate(bisectionId, deps, { kLogged: k });
    }
    // A test of its own that contradicts a verdict taken from the cache: stop with both named, never a culprit either may have made wrong.
    const clash = reuseContradiction(loaded);
    if (clash !== undefined) {
      await deps.store.log.appendOnce(bisectionId, 'reuse-contradiction', { type: 'failed', at: deps.now().toISOString(), error: clash });
      return orchestrate(bisectionId, deps);
    }
    // Verdicts earlier bisections of the same probe already have: taken before choosing what to test.
    if (await takeKnownVerdicts(bisectionId, loaded, k, deps)) return orchestrate(bisectionId, deps, pass);
    await dropRuns(bisectionId, loaded, state.moot ?? [], deps);
    const tests = runsToStart(replayed.commands, state);
    const asked = tests.map((t) => runRef(t));
    const extras = extraRuns(state, asked, k);
    const items: RoundItem[] = [...tests.map((t) => ({ ref: runRef(t), progress: t.progress })), ...extras.map((ref) => ({ ref, progress: tests[0]!.progress }))];
    // A flaky policy's extra runs of a commit it has moved on from: drop those still waiting.
    if (state.policy !== undefined) await dropRuns(bisectionId, loaded, unwantedRuns(loaded, items.map((i) => i.ref)), deps);
    if (items.length === 0) return 'initialized';
    if (await dispatchRound(bisectionId, loaded, items, k, deps)) return orchestrate(bisectionId, deps, pass);
    return 'enqueued';
  }
  if (loaded.fold.finished) {
    // A pass that crashed between 'finished' and the rest of the ending (status, claims, pins): this retry completes it.
    await completeEnding(deps, bisectionId, loaded.fold.finished.status);
    return 'already-finished';
  }
  const shas = state.culprit ? [state.culprit] : [...(state.candidates ?? []), ...(state.narrowed?.culprit ? [state.narrowed.culprit] : [])];
  let commits: CommitInfo[] = [];
  if (shas.length > 0) {
    const request = loaded.fold.created;
    if (request) {
      const info = await (await deps.openRepo(request.request.repo)).commitInfo(shas);
      commits = shas.flatMap((sha) => {
        const c = info.get(sha);
        return c ? [{ sha, ...c }] : [];
      });
      // Recipients for the report's mail (get_maintainer.pl on the answer), recorded before the end.
      await recordReportFacts(deps, bisectionId, request.request, shas);
    }
  }
  await finishOnce(deps, bisectionId, {
    type: 'finished',
    at: deps.now().toISOString(),
    status: state.status,
    ...(state.culprit ? { culprit: state.culprit } : {}),
    ...(state.candidates ? { candidates: [...state.candidates] } : {}),
    ...(state.error ? { error: withEndpointReuseHint(state, state.error, loaded.fold) } : {}),
    ...(state.narrowed ? { narrowed: narrowedOf(state.narrowed) } : {}),
    commits,
  });
  return 'finished';
}

/**
 * The runs to have queued: the step's test commands and, in multisection,
 * every run still in flight — two verdicts folded in one pass must not lose
 * the runs the first one handed out. Job ids are deterministic, so a run
 * already queued is not queued twice.
 */
function runsToStart(commands: readonly BisectCommand[], state: BisectState): Extract<BisectCommand, { type: 'test' }>[] {
  const tests = commands.filter((c): c is Extract<BisectCommand, { type: 'test' }> => c.type === 'test');
  const progress = tests[0]?.progress ?? { candidatesLeft: state.graph.commits.length, testableLeft: state.graph.commits.length, stepsLeft: 0, tested: 0 };
  const listed = new Set(tests.map((t) => runKey(t)));
  const missing = (state.inFlight ?? []).filter((r) => !listed.has(runKey(r))).map((r) => ({ type: 'test' as const, ...runFields(r), progress }));
  return [...tests, ...missing];
}

/** Whether the engine accepts `k` runs in flight for this bisection (it refuses policies that pick one run at a time). */
function takesParallel(state: BisectState, k: number): boolean {
  return !next(state, { type: 'parallel', k }).commands.some((c) => c.type === 'rejected');
}

async function finishOnce(deps: OrchestratorDeps, id: string, event: Extract<LogEvent, { type: 'finished' }>): Promise<void> {
  await deps.store.log.appendOnce(id, 'finished', event);
  await completeEnding(deps, id, event.status);
}

/**
 * What follows the 'finished' event; each step is idempotent, so a retried
 * pass that finds the event already logged runs them again. The status comes
 * first: a pass that dies after logging the end must not leave the list and
 * the token's limit saying 'running'. The search summary comes last — it only
 * saves a later search a fold (a search folds a bisection that has none).
 */
async function completeEnding(deps: OrchestratorDeps, id: string, status: Extract<LogEvent, { type: 'finished' }>['status']): Promise<void> {
  await deps.store.setStatus(id, status);
  // Whoever waited for one of this bisection's tests of a shared run tests it now.
  await releaseClaimsOf(deps, id);
  await releasePinsOf(deps, id);
  await deps.store.refreshSearch(id);
}

/**
 * Opens the range with the driver core `kbisect run` uses, runs the cheap
 * Kconfig probe, resolves an imported bisect log and checks that the driver
 * accepts the start, so replays never meet a refused start.
 */
async function initialize(request: BisectionRequest, maxCommits: number | undefined, deps: OrchestratorDeps): Promise<{ graph: Awaited<ReturnType<typeof openRange>>['graph']; event: Omit<Extract<LogEvent, { type: 'initialized' }>, 'type' | 'at'> }> {
  const repo = await deps.openRepo(request.repo);
  const range = await openRange(repo, {
    bad: request.bad, good: request.good, fields: { bad: 'bad', good: (i) => `good[${i}]` },
    ...(request.options?.terms ? { terms: request.options.terms } : {}),
    ...(maxCommits !== undefined ? { maxCommits } : {}),
  });
  // The cheap Kconfig probe: commits where a required symbol cannot be enabled are never tested
  // (unless the probe forces them: then they are built with BROKEN dropped; 'narrow' forces
  // only its own runs, after the honest search stepped around them).
  const required = requiredSymbolsOf(request.probe, request.options);
  const untestable = probesUntestable(untestableModeOf(request.probe), required) ? await probeUntestable(repo, { graph: range.graph, bad: range.bad, goods: range.goods, required }) : {};
  // An imported log continues on its own start, as `kbisect run` continues it: ends that contradict it are refused, its --first-parent kept.
  const log = request.importLog !== undefined ? await importedStart(request.importLog, repo, { bad: range.bad, goods: range.goods, ...(request.options?.firstParent ? { firstParent: true } : {}) }, 'importLog') : undefined;
  const imported = log ? [...log.marks] : [];
  const firstParent = log?.range.firstParent === true && request.options?.firstParent !== true;
  const narrow = narrowOf(request.probe, request.options);
  // The start `kbisect run` makes: a good beside bad has its merge bases tested first, as git does.
  const options = firstParent ? { ...request.options, firstParent: true } : request.options;
  const started = startDriver(driverStartFor(options, range, untestable, { narrow, imported }));
  if (!started.ok) throw new StartRefusedError(started.message);
  return {
    graph: range.graph,
    event: {
      bad: range.bad, goods: [...range.goods], commits: range.graph.commits.length, untestable,
      ...(imported.length > 0 ? { imported } : {}),
      ...(range.mergeBases.length > 0 ? { mergeBases: [...range.mergeBases] } : {}),
      ...(firstParent ? { firstParent: true as const } : {}),
    },
  };
}

/** The engine refused the start (an imported mark outside the range, a contradiction): the submitter's to fix. */
class StartRefusedError extends Error {
  readonly code = 'KBISECT_ERR_START_REFUSED';
  readonly category = 'user' as const;
  constructor(message: string) {
    super(message);
    this.name = 'StartRefusedError';
  }
}
