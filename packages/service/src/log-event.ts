import { Type, type Static } from '@sinclair/typebox';
import type { RunPurpose } from '@kbisect/bisect';
import { BisectionRequestSchema } from './request-schema.js';
import { NarrowedSchema } from './untestable-mode.js';

const Sha = Type.String({ pattern: '^[0-9a-f]{40}$' });
/** Why a commit is tested: a bisect step, an endpoint check, a verification run, a calibration, a forced narrowing run. */
export const PurposeSchema = Type.Union(['bisect', 'calibrate', 'verify-culprit', 'verify-parent', 'verify-bad', 'verify-revert', 'check-good', 'check-bad', 'narrow'].map((p) => Type.Literal(p as RunPurpose)));
const VerdictSchema = Type.Union([Type.Literal('good'), Type.Literal('bad'), Type.Literal('skip')]);
export const ProgressSchema = Type.Object({
  candidatesLeft: Type.Integer(),
  testableLeft: Type.Integer(),
  stepsLeft: Type.Integer(),
  tested: Type.Integer(),
});
export const CommitInfoSchema = Type.Object({ sha: Sha, subject: Type.String(), authorName: Type.String(), authorEmail: Type.String(), authorDate: Type.String() });

/**
 * One entry of a bisection's append-only log. The engine state is recomputed
 * from these (plus the stored graph); nothing else is authoritative.
 */
export const LogEventSchema = Type.Union([
  Type.Object({ type: Type.Literal('created'), at: Type.String(), by: Type.String(), request: BisectionRequestSchema }),
  Type.Object({ type: Type.Literal('initialized'), at: Type.String(), bad: Sha, goods: Type.Array(Sha), commits: Type.Integer(), untestable: Type.Record(Type.String(), Type.String()) }),
  Type.Object({
    type: Type.Literal('step-started'), at: Type.String(), commit: Sha, subject: Type.Optional(Type.String()), progress: ProgressSchema, attempt: Type.Integer(),
    purpose: Type.Optional(PurposeSchema),
    revert: Type.Optional(Sha),
  }),
  Type.Object({
    type: Type.Literal('verdict'),
    at: Type.String(),
    commit: Sha,
    verdict: VerdictSchema,
    reason: Type.String(),
    source: Type.Union([Type.Literal('probe'), Type.Literal('manual')]),
    by: Type.Optional(Type.String()),
    durationMs: Type.Optional(Type.Number()),
    evidence: Type.Optional(Type.String({ description: 'Key of the stored test output' })),
    run: Type.Optional(Type.Integer({ minimum: 0 })),
    purpose: Type.Optional(PurposeSchema),
    buildEvidence: Type.Optional(Type.String({ description: 'Key of the stored build log (kernel probes)' })),
    metrics: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: "The reproducer's numbers from its KBISECT-RESULT line, plus boot timings" })),
    machine: Type.Optional(Type.String({ description: 'The machine the kernel ran on' })),
  }),
  /** Live progress inside a step (build, boot, console lines); never changes the bisection's state. */
  Type.Object({
    type: Type.Literal('step-progress'),
    at: Type.String(),
    commit: Sha,
    phase: Type.Union([Type.Literal('build'), Type.Literal('boot'), Type.Literal('console'), Type.Literal('lab')]),
    message: Type.String(),
    lines: Type.Optional(Type.Array(Type.String())),
  }),
  Type.Object({ type: Type.Literal('revert-unavailable'), at: Type.String(), reason: Type.String() }),
  Type.Object({ type: Type.Literal('cancel-requested'), at: Type.String(), by: Type.String(), reason: Type.Optional(Type.String()) }),
  Type.Object({ type: Type.Literal('failed'), at: Type.String(), error: Type.String() }),
  Type.Object({
    type: Type.Literal('finished'),
    at: Type.String(),
    status: Type.Union([Type.Literal('found'), Type.Literal('ambiguous'), Type.Literal('failed'), Type.Literal('cancelled')]),
    culprit: Type.Optional(Sha),
    candidates: Type.Optional(Type.Array(Sha)),
    error: Type.Optional(Type.String()),
    commits: Type.Optional(Type.Array(CommitInfoSchema)),
    narrowed: Type.Optional(NarrowedSchema),
  }),
]);

export type LogEvent = Static<typeof LogEventSchema>;
export type CommitInfo = Static<typeof CommitInfoSchema>;
/** A log event with its stream id (the SSE event id, resumable with Last-Event-ID). */
export type StoredLogEvent = { readonly id: string; readonly event: LogEvent };
