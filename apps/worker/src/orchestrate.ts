import { narrowedOf, requiredSymbolsOf, untestableModeOf, type BisectionStore, type CommitInfo, type LogEvent, type TestJob } from '@kbisect/service';
import { probeUntestable } from '@kbisect/kbuild';
import type { OpenRepo } from './repo-port.js';
import { userErrorMessage } from './user-error.js';
import { recordReportFacts } from './report-facts.js';

export interface OrchestratorDeps {
  readonly store: BisectionStore;
  readonly openRepo: OpenRepo;
  readonly enqueueTest: (job: TestJob, opts: { attempts: number; priority: number }) => Promise<void>;
  /** Kernel probes start a step with a build; command probes go straight to a test. */
  readonly enqueueBuild: (job: TestJob, opts: { attempts: number; priority: number }) => Promise<void>;
  readonly now: () => Date;
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
      const repo = await deps.openRepo(request.repo);
      const bad = await repo.resolveCommit(request.bad, 'bad');
      const goods: string[] = [];
      for (const [i, g] of request.good.entries()) goods.push(await repo.resolveCommit(g, `good[${i}]`));
      await repo.checkRange(bad, goods);
      const graph = await repo.readGraph(bad, goods);
      // The cheap Kconfig probe: commits where a required symbol cannot be enabled are never tested
      // (unless the probe forces them: then they are built with BROKEN dropped; 'narrow' forces
      // only its own runs, after the honest search stepped around them).
      const required = requiredSymbolsOf(request.probe, request.options);
      const forcing = untestableModeOf(request.probe) === 'force';
      const untestable = required.length > 0 && !forcing ? await probeUntestable(repo, { graph, bad, goods, required }) : {};
      await deps.store.saveGraph(bisectionId, graph);
      await deps.store.log.appendOnce(bisectionId, 'initialized', { type: 'initialized', at: deps.now().toISOString(), bad, goods, commits: graph.commits.length, untestable });
    } catch (err) {
      const message = userErrorMessage(err);
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
    const enqueue = request?.request.probe.type === 'kernel' ? deps.enqueueBuild : deps.enqueueTest;
    await enqueue(
      {
        bisectionId,
        commit: command.commit,
        progress: command.progress,
        ...(subject !== undefined ? { subject } : {}),
        ...(command.run ? { run: command.run } : {}),
        ...(command.purpose && command.purpose !== 'bisect' ? { purpose: command.purpose } : {}),
        ...(command.revert ? { revert: command.revert } : {}),
      },
      { attempts: 1 + (options?.retries ?? 2), priority: options?.priority ?? 50 },
    );
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
