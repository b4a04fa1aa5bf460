import { Type, type Static } from '@sinclair/typebox';
import { candidatesOf, runKey, type Progress, type VerificationSummary } from '@kbisect/bisect';
import type { BisectionFold } from './bisection-fold.js';
import { driverResult } from './driver/driver-step.js';
import { AnnotationSchema, CommitInfoSchema, type LogEvent } from './log-event.js';
import { replayedOf } from './replay.js';
import { stepTimingsOf } from './step-timings.js';
import { repoLabel } from './repo-label.js';
import { EndpointResultSchema, ProgressSchema, PurposeSchema, ShaSchema as Sha, StatusSchema, VerdictSchema, VerificationSchema, type VerificationView } from './shared-schemas.js';
import { NarrowedSchema, narrowedOf } from './untestable-mode.js';

/** What GET /bisections/:id returns: the result JSON of ARCHITECTURE.md plus live fields. */
export const BisectionViewSchema = Type.Object({
  id: Type.String(),
  status: StatusSchema,
  culprit: Type.Optional(Sha),
  candidates: Type.Optional(Type.Array(Sha)),
  steps: Type.Integer(),
  verdicts: Type.Array(Type.Object({
    commit: Sha, verdict: VerdictSchema, reason: Type.String(), source: Type.String(),
    purpose: Type.Optional(Type.Union(PurposeSchema.anyOf, { description: 'check-bad, check-good (endpoint checks), verify-culprit, verify-parent, verify-bad, verify-revert (the bad end with the culprit reverted), calibrate, narrow (a forced run narrowing an untestable stretch); absent for a bisect step' })),
    run: Type.Optional(Type.Integer({ description: 'which run of this commit for this purpose, when not the first' })),
    evidence: Type.Optional(Type.String({ description: 'GET …/evidence/<name>: the test output or console log' })),
    buildEvidence: Type.Optional(Type.String({ description: 'GET …/evidence/<name>: the build log (kernel probes)' })),
    metrics: Type.Optional(Type.Record(Type.String(), Type.Number())),
    machine: Type.Optional(Type.String()),
    at: Type.Optional(Type.String({ description: 'When the verdict was recorded' })),
    by: Type.Optional(Type.String({ description: 'Who gave a manual verdict' })),
    buildSeconds: Type.Optional(Type.Number({ description: 'The kernel build (or its artifact-cache lookup), seconds' })),
    bootSeconds: Type.Optional(Type.Number({ description: 'The lab test on the machine, power-off to power-off, seconds' })),
    durationMs: Type.Optional(Type.Number({ description: 'The whole step as the worker timed it (build and boot, or the command run)' })),
  })),
  error: Type.Optional(Type.String()),
  repo: Type.String({ description: 'The registered tree, or the URL it was given (credentials redacted)' }),
  good: Type.Array(Type.String()),
  bad: Type.String(),
  createdAt: Type.String(),
  finishedAt: Type.Optional(Type.String({ description: 'When the bisection ended' })),
  submittedBy: Type.String(),
  current: Type.Optional(Type.Object({ commit: Sha, progress: ProgressSchema })),
  maxParallel: Type.Optional(Type.Integer({ description: 'Multisection: the most tests of this bisection at once' })),
  inFlight: Type.Optional(Type.Array(Type.Object({ commit: Sha, startedAt: Type.Optional(Type.String({ description: 'absent while the run waits in its queue' })) }), { description: 'Multisection: the runs being tested now' })),
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
      ...(r ? { at: r.at, ...stepTimingsOf(r) } : {}),
      ...(manual ? { at: manual.at, ...(manual.by !== undefined ? { by: manual.by } : {}) } : {}),
    };
  });
  const view: BisectionView = {
    ...base,
    status: state.status,
    steps: result.steps,
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
  if (state.status === 'running' && state.inFlight) {
    view.inFlight = state.inFlight.map((r) => {
      const at = fold.starts[runKey(r)];
      return { commit: r.commit, ...(at !== undefined ? { startedAt: at } : {}) };
    });
  }
  if (state.status === 'running') {
    const progress: Progress | undefined = lastStart && lastStart.commit === state.next ? lastStart.progress : undefined;
    if (state.next && progress) view.current = { commit: state.next, progress };
    view.candidatesLeft = candidatesOf(state).length;
  }
  return view;
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

