import { Type, type Static } from '@sinclair/typebox';
import { runFields, runKey, runRef, type BisectState, type Progress, type RunFields, type VerificationSummary } from '@kbisect/bisect';
import type { BisectionFold } from './bisection-fold.js';
import { driverResult } from './driver/driver-step.js';
import { AnnotationSchema, CommitInfoSchema, RoundRunSchema, type LogEvent } from './log-event.js';
import { replayedOf } from './replay.js';
import { stepTimingsOf } from './step-timings.js';
import { repoLabel } from './repo-label.js';
import { EndpointResultSchema, ProgressSchema, ReusedSchema, RunRefSchema, ShaSchema as Sha, StatusSchema, VerdictSchema, VerificationSchema, type VerificationView } from './shared-schemas.js';
import { NarrowedSchema, narrowedOf } from './untestable-mode.js';

/** One round of a bisection as the view shows it. */
export const RoundViewSchema = Type.Object({
  n: Type.Integer(),
  k: Type.Integer({ description: 'how many tests the round could use (ready machines, capped by maxParallel)' }),
  at: Type.String(),
  runs: Type.Array(Type.Object({
    ...RoundRunSchema.properties,
    machine: Type.Optional(Type.String()),
    verdict: Type.Optional(VerdictSchema),
  })),
});
export type RoundView = Static<typeof RoundViewSchema>;

/** What GET /bisections/:id returns: the result JSON of ARCHITECTURE.md plus live fields. */
export const BisectionViewSchema = Type.Object({
  id: Type.String(),
  status: StatusSchema,
  culprit: Type.Optional(Sha),
  candidates: Type.Optional(Type.Array(Sha)),
  steps: Type.Integer(),
  verdicts: Type.Array(Type.Object({
    ...RunRefSchema.properties,
    verdict: VerdictSchema, reason: Type.String(), source: Type.String(),
    evidence: Type.Optional(Type.String({ description: 'GET …/evidence/<name>: the test output or console log' })),
    buildEvidence: Type.Optional(Type.String({ description: 'GET …/evidence/<name>: the build log (kernel probes)' })),
    metrics: Type.Optional(Type.Record(Type.String(), Type.Number())),
    machine: Type.Optional(Type.String()),
    reusedFrom: Type.Optional(Type.String({ description: 'Taken from the shared verdict cache: the bisection that tested this run (its evidence names are under that id)' })),
    reusedEvidence: Type.Optional(Type.Array(Type.String(), { description: "The original run's evidence: paths of GET /api/v1/bisections/<reusedFrom>/evidence/<name>" })),
    reused: Type.Optional(Type.Object(ReusedSchema.properties, { description: "Taken from the shared verdict cache: the original run (its bisection, run index, and evidence names under that bisection), as the verdict event has it; the web UI links to the original's evidence with it" })),
    at: Type.Optional(Type.String({ description: 'When the verdict was recorded' })),
    by: Type.Optional(Type.String({ description: 'Who gave a manual verdict' })),
    buildSeconds: Type.Optional(Type.Number({ description: 'The kernel build (or its artifact-cache lookup), seconds' })),
    bootSeconds: Type.Optional(Type.Number({ description: 'The lab test on the machine, power-off to power-off, seconds' })),
    durationMs: Type.Optional(Type.Number({ description: 'The whole step as the worker timed it (build and boot, or the command run)' })),
  })),
  reused: Type.Optional(Type.Integer({ description: 'Verdicts taken from the shared cache (not counted in steps)' })),
  rounds: Type.Optional(Type.Array(RoundViewSchema, { description: 'The runs handed out together, in order: tested here (on which machine), reused, or shared with another bisection' })),
  error: Type.Optional(Type.String()),
  repo: Type.String({ description: 'The registered tree, or the URL it was given (credentials redacted)' }),
  good: Type.Array(Type.String()),
  bad: Type.String(),
  createdAt: Type.String(),
  finishedAt: Type.Optional(Type.String({ description: 'When the bisection ended' })),
  submittedBy: Type.String(),
  current: Type.Optional(Type.Object({ commit: Sha, progress: ProgressSchema })),
  maxParallel: Type.Optional(Type.Integer({ description: "Multisection: the most tests of this bisection at once now (the round's k: the lab's ready machines or test worker slots, capped by the request's maxParallel)" })),
  inFlight: Type.Optional(Type.Array(Type.Object({
    ...RunRefSchema.properties,
    startedAt: Type.Optional(Type.String({ description: 'absent while the run waits in its queue' })),
    machine: Type.Optional(Type.String({ description: 'where it is being tested' })),
    sharedFrom: Type.Optional(Type.String({ description: "another bisection's test of the same run, waited for" })),
  }), { description: 'The runs being tested now (several with multisection or repeated runs on several machines)' })),
  cancelled: Type.Optional(Type.Array(Sha, { description: 'Multisection: runs cancelled as moot (a verdict elsewhere decided them); one that finished anyway is among the verdicts' })),
  candidatesLeft: Type.Optional(Type.Integer()),
  commits: Type.Optional(Type.Array(CommitInfoSchema)),
  policy: Type.Optional(Type.String()),
  terms: Type.Optional(Type.Literal('fix', { description: "Present for a fix bisection: the culprit is the first commit where the bug is gone (git's --term-new=fixed)" })),
  confidence: Type.Optional(Type.Number()),
  posterior: Type.Optional(Type.Array(Type.Object({ commit: Sha, probability: Type.Number() }))),
  verification: Type.Optional(VerificationSchema),
  narrowed: Type.Optional(NarrowedSchema),
  endpoints: Type.Optional(Type.Array(EndpointResultSchema, { description: 'What testing the ends before the first step showed' })),
  annotations: Type.Optional(Type.Array(Type.Intersect([AnnotationSchema, Type.Object({ at: Type.String() })]), { description: "Maintainers' judgements: the result marked invalid, or the culprit overridden, with who, when and why" })),
});
export type BisectionView = Static<typeof BisectionViewSchema>;

/** The view of a folded bisection; computed once per change of the fold's `viewId` (see BisectionStore.viewJson). */
export function toView(id: string, fold: BisectionFold): BisectionView {
  const { created, finished, lastStart } = fold;
  const replayed = replayedOf(fold);
  const base = {
    id,
    repo: repoLabel(created),
    good: created?.request.good ?? [],
    bad: created?.request.bad ?? '',
    createdAt: created?.at ?? '',
    submittedBy: created?.by ?? '',
    ...(created?.request.options?.terms === 'fix' ? { terms: 'fix' as const } : {}),
    ...(finished?.commits ? { commits: finished.commits } : {}),
    ...(finished ? { finishedAt: finished.at } : {}),
    ...(fold.annotations.length > 0 ? { annotations: fold.annotations.map(({ type: _type, ...a }) => a) } : {}),
  };
  if (replayed.phase === 'failed-to-start') return { ...base, status: 'failed', steps: 0, verdicts: [], error: replayed.error };
  if (replayed.phase === 'initializing') {
    return { ...base, status: replayed.cancelRequested ? 'cancelled' : 'queued', steps: 0, verdicts: [] };
  }
  const { state } = replayed;
  // The driver's result: the merge bases tested before the range come first, as git tested them.
  const result = driverResult(id, { step: { state, commands: replayed.commands }, ...(fold.mergeBase ? { mergeBase: fold.mergeBase } : {}) });
  // The evidence behind each verdict: the verdict event of that very run (commit, purpose, run).
  // A revert check tested another kernel (the commit with the culprit reverted), so its evidence
  // also goes to the verification.
  const revertRun = fold.revertRun;
  const verdicts = result.verdicts.map((v) => {
    const event = v.source === 'untestable' ? undefined : fold.runs[runKey(v)];
    const r = v.source === 'probe' ? event : undefined;
    const manual = v.source === 'manual' && event?.source === 'manual' ? event : undefined;
    return {
      commit: v.commit, verdict: v.verdict, reason: v.reason, source: v.source,
      ...(v.purpose ? { purpose: v.purpose } : {}),
      ...(v.run ? { run: v.run } : {}),
      ...(r?.evidence ? { evidence: r.evidence } : {}),
      ...(r?.buildEvidence ? { buildEvidence: r.buildEvidence } : {}),
      ...(r?.metrics ? { metrics: r.metrics } : {}),
      ...(r?.machine ? { machine: r.machine } : {}),
      ...(r?.reused ? { reusedFrom: r.reused.bisection } : {}),
      ...(r?.reused ? { reused: r.reused } : {}),
      ...(r?.reused && (r.reused.evidence || r.reused.buildEvidence) ? { reusedEvidence: [r.reused.evidence, r.reused.buildEvidence].filter((e): e is string => e !== undefined).map((name) => `/api/v1/bisections/${r.reused!.bisection}/evidence/${encodeURIComponent(name)}`) } : {}),
      ...(r ? { at: r.at, ...stepTimingsOf(r) } : {}),
      ...(manual ? { at: manual.at, ...(manual.by !== undefined ? { by: manual.by } : {}) } : {}),
    };
  });
  // Counted among the engine's verdicts: a reused run the engine did not take (it landed after its commit was moot) is no step either way.
  const reused = verdicts.filter((v) => v.source === 'probe' && v.reusedFrom !== undefined).length;
  const view: BisectionView = {
    ...base,
    status: state.status,
    // Steps are the commits tested here: a verdict from the cache cost no build or boot.
    steps: result.steps - reused,
    ...(reused > 0 ? { reused } : {}),
    ...(fold.rounds.length > 0 ? { rounds: roundsOf(fold) } : {}),
    verdicts,
    ...(result.culprit ? { culprit: result.culprit } : {}),
    ...(result.candidates ? { candidates: [...result.candidates] } : {}),
    ...(result.error ? { error: result.error } : {}),
    ...(result.policy ? { policy: result.policy } : {}),
    ...(state.terms === 'fix' ? { terms: 'fix' as const } : {}),
    ...(result.confidence !== undefined ? { confidence: result.confidence } : {}),
    ...(result.posterior ? { posterior: result.posterior.map((p) => ({ ...p })) } : {}),
    ...(result.verification ? { verification: withRevertEvidence(result.verification, revertRun) } : {}),
    ...(result.endpoints ? { endpoints: result.endpoints.map((e) => ({ ...e })) } : {}),
    ...(result.narrowed ? { narrowed: narrowedOf(result.narrowed) } : {}),
  };
  if (state.parallel !== undefined) view.maxParallel = state.parallel;
  if (state.moot && state.moot.length > 0) view.cancelled = state.moot.map((r) => r.commit);
  if (state.status === 'running') {
    const inFlight = inFlightOf(fold, state);
    if (inFlight.length > 0) view.inFlight = inFlight;
  }
  if (state.status === 'running') {
    const progress: Progress | undefined = lastStart && lastStart.commit === state.next ? lastStart.progress : undefined;
    if (state.next && progress) view.current = { commit: state.next, progress };
    // Derived where the engine's step was taken: rendering never walks the graph.
    if (fold.candidatesLeft !== undefined) view.candidatesLeft = fold.candidatesLeft;
  }
  return view;
}

function roundsOf(fold: BisectionFold): RoundView[] {
  return fold.rounds.map((round) => ({
    n: round.n, k: round.k, at: round.at,
    runs: round.runs.map((r) => {
      const key = runKey(r);
      const verdict = fold.runs[key];
      const machine = verdict?.machine ?? fold.placed[key];
      return { ...r, ...(machine !== undefined && r.via === 'test' ? { machine } : {}), ...(verdict ? { verdict: verdict.verdict } : {}) };
    }),
  }));
}

/**
 * The runs being tested now: the engine's runs in flight (multisection), and
 * every run handed out in a round that has no verdict yet and either started
 * or is still one the engine waits for (a flaky policy's repeated runs of the
 * commit it tests, a run another bisection is testing for this one).
 */
function inFlightOf(fold: BisectionFold, state: BisectState): NonNullable<BisectionView['inFlight']> {
  const out = new Map<string, NonNullable<BisectionView['inFlight']>[number]>();
  const add = (r: RunFields, sharedFrom?: string): void => {
    const ref = runRef(r);
    const key = runKey(ref);
    if (fold.runs[key] || out.has(key)) return;
    const at = fold.starts[key];
    const machine = fold.placed[key];
    out.set(key, {
      ...runFields(ref),
      ...(at !== undefined ? { startedAt: at } : {}),
      ...(machine !== undefined ? { machine } : {}),
      ...(sharedFrom !== undefined ? { sharedFrom } : {}),
    });
  };
  const shared = new Map(fold.rounds.flatMap((round) => round.runs.filter((r) => r.via === 'shared' && r.from !== undefined).map((r) => [runKey(r), r.from!] as const)));
  for (const r of state.inFlight ?? []) add(r, shared.get(runKey(r)));
  for (const round of fold.rounds) {
    for (const r of round.runs) {
      const key = runKey(r);
      const waited = state.next === r.commit || state.pending !== undefined && runKey(state.pending) === key;
      if (r.via === 'shared' && waited) add(r, r.from);
      else if (r.via === 'test' && (fold.starts[key] !== undefined || waited)) add(r);
    }
  }
  return [...out.values()];
}

/** The verification summary, its revert check carrying the evidence of the reverted kernel's run. */
function withRevertEvidence(verification: VerificationSummary, run: Extract<LogEvent, { type: 'verdict' }> | undefined): VerificationView {
  if (!run || !verification.revert || verification.revert.outcome === 'unavailable') return { ...verification };
  return {
    ...verification,
    revert: {
      ...verification.revert,
      ...(run.evidence ? { evidence: run.evidence } : {}),
      ...(run.buildEvidence ? { buildEvidence: run.buildEvidence } : {}),
      ...(run.metrics ? { metrics: run.metrics } : {}),
      ...(run.machine ? { machine: run.machine } : {}),
    },
  };
}

