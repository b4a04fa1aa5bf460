import { Type, type Static, type TInteger, type TSchema } from '@sinclair/typebox';
import { ANSWERED_STATUSES, RUN_PURPOSES, SHA_PATTERN, type AnsweredStatus, type BisectStatus, type EndpointResult, type Progress, type RunFields, type RunPurpose, type Verdict, type VerificationSummary } from '@kbisect/bisect';

/**
 * The shapes events, jobs, views and routes share, each declared once. The
 * engine's types are plain TypeScript (it imports no schema library); the
 * checks at the bottom fail the build when a schema and its engine type drift.
 */

/** A bisection's id: a UUID as randomUUID writes it (unanchored, to build patterns from). */
export const BISECTION_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** The same, anchored: an input's `pattern`. */
export const BISECTION_ID_PATTERN = `^${BISECTION_ID}$` as const;
const BISECTION_ID_RE = new RegExp(BISECTION_ID_PATTERN);
export const isBisectionId = (value: string): boolean => BISECTION_ID_RE.test(value);
export const BisectionIdSchema = Type.String({ pattern: BISECTION_ID_PATTERN, description: "A bisection's id" });

export const ShaSchema = Type.String({ pattern: SHA_PATTERN, description: 'A full commit sha' });

export const VerdictSchema = Type.Union([Type.Literal('good'), Type.Literal('bad'), Type.Literal('skip')]);

/** Why a commit is tested: a bisect step, an endpoint check, a verification run, a calibration. */
export const PurposeSchema = Type.Union(RUN_PURPOSES.map((p) => Type.Literal(p)));

/** Which run of a commit for one purpose, from 0 (flaky policies run a commit several times). */
export function runIndexSchema(description: string): TInteger {
  return Type.Integer({ minimum: 0, description });
}

/**
 * A run of a commit on the wire (RunFields): `purpose` and `run` left out at
 * their defaults, as events written before they existed are. Spread its
 * `properties` into an event, job or view object.
 */
export const RunRefSchema = Type.Object({
  commit: ShaSchema,
  purpose: Type.Optional(Type.Union(PurposeSchema.anyOf, {
    description: 'check-bad, check-good (endpoint checks), verify-culprit, verify-parent, verify-bad, verify-revert (the bad end with the culprit reverted), calibrate, narrow (a forced run narrowing an untestable stretch); absent for a bisect step',
  })),
  run: Type.Optional(runIndexSchema('which run of this commit for this purpose, when not the first')),
  revert: Type.Optional(ShaSchema),
});

/**
 * A run as another bisection tested it (the shared verdict cache holds these;
 * a verdict taken from it carries one): that bisection, which run of the
 * commit it was there and why, and its evidence names under that id.
 */
export const ReusedSchema = Type.Object({
  bisection: Type.String({ description: 'The bisection that tested this run; its evidence names are under that id' }),
  run: runIndexSchema('Which run of the commit it was there'),
  purpose: Type.Optional(Type.Union(PurposeSchema.anyOf, { description: 'Why it was run there, when not as a bisect step (check-bad, check-good, verify-…): a verdict counts for any run of the same kernel' })),
  evidence: Type.Optional(Type.String()),
  buildEvidence: Type.Optional(Type.String()),
});
export type Reused = Static<typeof ReusedSchema>;

export const ProgressSchema = Type.Object({
  candidatesLeft: Type.Integer(),
  testableLeft: Type.Integer(),
  stepsLeft: Type.Integer(),
  tested: Type.Integer(),
});

/** How a search with an answer ended (ANSWERED_STATUSES): a bisection's, or a narrowing's forced one. */
export const AnsweredStatusSchema = Type.Union(ANSWERED_STATUSES.map((s) => Type.Literal(s)));

const FINISHED = [...ANSWERED_STATUSES, 'failed', 'cancelled'] as const;
/** How a bisection ended. */
export const FinishedStatusSchema = Type.Union(FINISHED.map((s) => Type.Literal(s)));
/** Every status a bisection can have (the meta hash's `status`): queued before the engine starts. */
export const STATUSES = ['queued', 'running', ...FINISHED] as const;
export type BisectionStatus = (typeof STATUSES)[number];
/** Where a bisection is, as the API lists it. */
export const StatusSchema = Type.Union(STATUSES.map((s) => Type.Literal(s)));
/** Whether bisections of this status name a culprit or candidates: the only ones the list's text search can match. */
export function isAnswered(status: string): boolean {
  return (ANSWERED_STATUSES as readonly string[]).includes(status);
}

const RunsSchema = { runs: Type.Integer(), failures: Type.Integer() };
const EvidenceSchema = {
  evidence: Type.Optional(Type.String()),
  buildEvidence: Type.Optional(Type.String()),
  metrics: Type.Optional(Type.Record(Type.String(), Type.Number())),
  machine: Type.Optional(Type.String()),
};
const CheckSchema = Type.Object({ outcome: Type.Union([Type.Literal('confirmed'), Type.Literal('refuted')]), ...RunsSchema });
/**
 * What verifying a culprit showed. A view adds to the revert check the
 * evidence of the reverted kernel's run (it tested another kernel than any
 * verdict names).
 */
export const VerificationSchema = Type.Object({
  culprit: Type.Optional(CheckSchema),
  parents: Type.Optional(CheckSchema),
  revert: Type.Optional(Type.Union([
    Type.Object({
      outcome: Type.Union([Type.Literal('fixed'), Type.Literal('improved'), Type.Literal('unchanged')]),
      ...RunsSchema, baselineRuns: Type.Integer(), baselineFailures: Type.Integer(), pValue: Type.Number(), ...EvidenceSchema,
    }),
    Type.Object({ outcome: Type.Literal('unavailable'), reason: Type.String() }),
  ])),
});
export type VerificationView = Static<typeof VerificationSchema>;

export const EndpointResultSchema = Type.Object({
  commit: ShaSchema,
  end: Type.Union([Type.Literal('good'), Type.Literal('bad')]),
  outcome: Type.Union([Type.Literal('as-expected'), Type.Literal('unexpected'), Type.Literal('untestable')]),
  runs: Type.Integer(),
  failures: Type.Integer(),
  reason: Type.Optional(Type.String()),
});

// Schema/type agreement, checked by the compiler: each pair must be mutually assignable.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Writable<T> = { -readonly [K in keyof T]: T[K] extends object ? Writable<T[K]> : T[K] };
const agree = <S extends TSchema, T>(_: Same<Writable<Static<S>>, Writable<T>>): void => undefined;
agree<typeof PurposeSchema, RunPurpose>(true);
agree<typeof VerdictSchema, Verdict>(true);
agree<typeof ProgressSchema, Progress>(true);
agree<typeof StatusSchema, BisectStatus | 'queued'>(true);
agree<typeof RunRefSchema, RunFields>(true);
agree<typeof AnsweredStatusSchema, AnsweredStatus>(true);
agree<typeof EndpointResultSchema, EndpointResult>(true);
// The view's verification is the engine's plus evidence on the revert check.
const asView: (v: VerificationSummary) => VerificationView = (v) => v;
void asView;
