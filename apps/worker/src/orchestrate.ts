import { runFields, runRef, terminalMessage } from '@kbisect/bisect';
import { narrowedOf, type BisectionRequest, type BisectionStore, type BuildJob, type CommandTestJob, type CommitInfo, type LogEvent } from '@kbisect/service';
import { narrowOf, openRange, requiredSymbolsOf, resolveImportedLog, startParams, startWithImported, untestableModeOf } from '@kbisect/service/driver';
import { probeUntestable } from '@kbisect/kbuild';
import type { Sandbox } from '@kbisect/sandbox';
import type { OpenRepo } from './repo-port.js';
import { recordReportFacts } from './report-facts.js';

export interface OrchestratorDeps {
  readonly store: BisectionStore;
  readonly openRepo: OpenRepo;
  readonly enqueueTest: (job: CommandTestJob, opts: { attempts: number; priority: number }) => Promise<void>;
  /** Kernel probes start a step with a build; command probes go straight to a test. */
  readonly enqueueBuild: (job: BuildJob, opts: { attempts: number; priority: number }) => Promise<void>;
  readonly now: () => Date;
  /** Runs the tree's get_maintainer.pl when the bisection ends. */
  readonly sandbox: Sandbox;
}

export type OrchestrateOutcome = 'initialized' | 'enqueued' | 'finished' | 'already-finished' | 'failed-to-start';

/**
 * One orchestration pass: recompute the bisection from its log and do the one
 * thing it needs next. Idempotent — every write is append-once or a
 * deterministic job id — so a pass replayed after a crash changes nothing.
 */
export async function orchestrate(bisectionId: string, deps: OrchestratorDeps): Promise<OrchestrateOutcome> {
  let loaded = await deps.store.load(bisectionId);
  if (loaded.replayed.phase === 'initializing') {
    const { request } = loaded.replayed;
    if (!request) throw new Error(`bisection ${bisectionId} has no 'created' event`);
    if (loaded.replayed.cancelRequested) {
      await finishOnce(deps, bisectionId, { type: 'finished', at: deps.now().toISOString(), status: 'cancelled' });
      return 'finished';
    }
    try {
      const initialized = await initialize(request, deps);
      await deps.store.saveGraph(bisectionId, initialized.graph);
      await deps.store.log.appendOnce(bisectionId, 'initialized', { type: 'initialized', at: deps.now().toISOString(), ...initialized.event });
    } catch (err) {
      // The taxonomy decides: the submitter's or the operator's problem ends the bisection; the machinery's is retried.
      const message = terminalMessage(err);
      if (message === undefined) throw err;
      await deps.store.log.appendOnce(bisectionId, 'failed-start', { type: 'failed', at: deps.now().toISOString(), error: message });
      await finishOnce(deps, bisectionId, { type: 'finished', at: deps.now().toISOString(), status: 'failed', error: message });
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
  if (state.status === 'running') {
    await deps.store.setStatus(bisectionId, 'running');
    const command = replayed.commands.find((c) => c.type === 'test');
    if (command?.type !== 'test') return 'initialized';
    const request = loaded.fold.created;
    const options = request?.request.options;
    const index = state.graph.commits.indexOf(command.commit);
    const subject = state.graph.subjects?.[index];
    const step = { bisectionId, ...runFields(runRef(command)), progress: command.progress, ...(subject !== undefined ? { subject } : {}) };
    const opts = { attempts: 1 + (options?.retries ?? 2), priority: options?.priority ?? 50 };
    if (request?.request.probe.type === 'kernel') await deps.enqueueBuild({ kind: 'build', ...step }, opts);
    else await deps.enqueueTest({ kind: 'command-test', ...step }, opts);
    return 'enqueued';
  }
  if (loaded.fold.finished) return 'already-finished';
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
    ...(state.error ? { error: state.error } : {}),
    ...(state.narrowed ? { narrowed: narrowedOf(state.narrowed) } : {}),
    commits,
  });
  return 'finished';
}

async function finishOnce(deps: OrchestratorDeps, id: string, event: Extract<LogEvent, { type: 'finished' }>): Promise<void> {
  await deps.store.log.appendOnce(id, 'finished', event);
  await deps.store.setStatus(id, event.status);
}

/**
 * Opens the range with the driver core `kbisect run` uses, runs the cheap
 * Kconfig probe, resolves an imported bisect log and checks that the engine
 * accepts the start, so replays never meet a refused start.
 */
async function initialize(request: BisectionRequest, deps: OrchestratorDeps): Promise<{ graph: Awaited<ReturnType<typeof openRange>>['graph']; event: Omit<Extract<LogEvent, { type: 'initialized' }>, 'type' | 'at'> }> {
  const repo = await deps.openRepo(request.repo);
  const range = await openRange(repo, { bad: request.bad, good: request.good, ...(request.options?.terms ? { terms: request.options.terms } : {}), fields: { bad: 'bad', good: (i) => `good[${i}]` } });
  // The cheap Kconfig probe: commits where a required symbol cannot be enabled are never tested
  // (unless the probe forces them: then they are built with BROKEN dropped; 'narrow' forces
  // only its own runs, after the honest search stepped around them).
  const required = requiredSymbolsOf(request.probe, request.options);
  const forcing = untestableModeOf(request.probe) === 'force';
  const untestable = required.length > 0 && !forcing ? await probeUntestable(repo, { graph: range.graph, bad: range.bad, goods: range.goods, required }) : {};
  const imported = request.importLog !== undefined ? await resolveImportedLog(request.importLog, repo, 'importLog') : [];
  const narrow = narrowOf(request.probe, request.options);
  const started = startWithImported({ ...startParams(request.options, range, untestable), ...(narrow ? { narrow } : {}) }, imported);
  if (!started.ok) throw new StartRefusedError(started.message);
  return { graph: range.graph, event: { bad: range.bad, goods: [...range.goods], commits: range.graph.commits.length, untestable, ...(imported.length > 0 ? { imported } : {}) } };
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
