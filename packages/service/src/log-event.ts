import { Type, type Static } from '@sinclair/typebox';
import { BisectionRequestSchema } from './request-schema.js';
import { GrantSchema } from './request-seal.js';
import { FinishedStatusSchema, ProgressSchema, ReusedSchema, RunRefSchema, ShaSchema as Sha, VerdictSchema } from './shared-schemas.js';
import { TreeNameSchema } from './tree-schema.js';
import { LimitFillSchema } from './limit-fills.js';
import { NarrowedSchema } from './untestable-mode.js';

/** What a maintainer says of a result: it is invalid, or the culprit is another commit; always who and why. */
export const AnnotationSchema = Type.Object({
  by: Type.String(),
  kind: Type.Union([Type.Literal('invalid'), Type.Literal('culprit-override')]),
  culprit: Type.Optional(Sha),
  reason: Type.String({ minLength: 1, maxLength: 500 }),
});
export type Annotation = Static<typeof AnnotationSchema>;

export const CommitInfoSchema = Type.Object({ sha: Sha, subject: Type.String(), authorName: Type.String(), authorEmail: Type.String(), authorDate: Type.String() });

/** Who a mail about the result goes to, as the submitted tree itself says (or why it could not). */
export const ReportRecipientsSchema = Type.Object({
  source: Type.Union([Type.Literal('get_maintainer'), Type.Literal('author-committer'), Type.Literal('none')], {
    description: "get_maintainer: the tree's script ran; author-committer: the tree has no script (fallback); none: nothing to ask (e.g. too many candidates) or the run failed",
  }),
  /** The commits asked about (the culprit, or the candidates when ambiguous). */
  commits: Type.Array(Sha),
  /** The addresses, one per line as the script printed them (or the author and committer), de-duplicated. */
  addresses: Type.Array(Type.String({ maxLength: 512 }), { maxItems: 200 }),
  note: Type.Optional(Type.String({ maxLength: 2000, description: 'Why the list is what it is, in words for the mail' })),
});

/** One run of a round: tested here, answered from the verdict cache, or waiting for another bisection's test of the same probe. */
export const RoundRunSchema = Type.Object({
  ...RunRefSchema.properties,
  via: Type.Union([Type.Literal('test'), Type.Literal('reused'), Type.Literal('shared')]),
  from: Type.Optional(Type.String({ description: 'reused/shared: the bisection whose test answers this run' })),
  disputed: Type.Optional(Type.String({ description: 'test: why a cached verdict of this run was not taken (it contradicts another cached verdict)' })),
});
export type RoundRun = Static<typeof RoundRunSchema>;

/**
 * One entry of a bisection's append-only log. The engine state is recomputed
 * from these (plus the stored graph); nothing else is authoritative.
 */
export const LogEventSchema = Type.Union([
  /**
   * `grant`: what the API vouched for, signed (request-seal.ts); workers refuse a bisection whose grant does not verify.
   * `tree`: the registered tree the submission named; `request.repo` is then that tree's repo, pinned for the bisection's life.
   * `filled`: the request's fields the API wrote from the submitter's limits (limit-fills.ts); a retry leaves them out.
   */
  Type.Object({ type: Type.Literal('created'), at: Type.String(), by: Type.String(), request: BisectionRequestSchema, grant: Type.Optional(GrantSchema), tree: Type.Optional(TreeNameSchema), filled: Type.Optional(Type.Array(LimitFillSchema)) }),
  /**
   * The range in engine terms (for a fix bisection, `bad` is the fixed end), the marks of an imported bisect
   * log resolved to shas, the merge bases tested first when a good is not an ancestor of bad (as git does), and
   * `firstParent` when the imported log was started with --first-parent though the request did not say so.
   */
  Type.Object({
    type: Type.Literal('initialized'), at: Type.String(), bad: Sha, goods: Type.Array(Sha), commits: Type.Integer(), untestable: Type.Record(Type.String(), Type.String()),
    imported: Type.Optional(Type.Array(Type.Object({ commit: Sha, verdict: VerdictSchema }))),
    mergeBases: Type.Optional(Type.Array(Sha)),
    firstParent: Type.Optional(Type.Literal(true)),
  }),
  Type.Object({
    type: Type.Literal('step-started'), at: Type.String(), ...RunRefSchema.properties, subject: Type.Optional(Type.String()), progress: ProgressSchema, attempt: Type.Integer(),
  }),
  Type.Object({
    type: Type.Literal('verdict'),
    at: Type.String(),
    ...RunRefSchema.properties,
    verdict: VerdictSchema,
    reason: Type.String(),
    source: Type.Union([Type.Literal('probe'), Type.Literal('manual')]),
    by: Type.Optional(Type.String()),
    durationMs: Type.Optional(Type.Number()),
    evidence: Type.Optional(Type.String({ description: 'Key of the stored test output' })),
    buildEvidence: Type.Optional(Type.String({ description: 'Key of the stored build log (kernel probes)' })),
    metrics: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: "The reproducer's numbers from its KBISECT-RESULT line, plus boot timings" })),
    machine: Type.Optional(Type.String({ description: 'The machine the kernel ran on' })),
    reused: Type.Optional(ReusedSchema),
  }),
  /**
   * How many bisect runs may be in flight from now on (multisection): the ready machines of the pool (command
   * probes: the live test workers' slots), capped by the request's `maxParallel`. Written by the orchestrator
   * when that number changes; the engine hears it as its `parallel` event.
   */
  Type.Object({ type: Type.Literal('parallel'), at: Type.String(), k: Type.Integer({ minimum: 1 }), ready: Type.Integer({ minimum: 0 }), cap: Type.Integer({ minimum: 1 }) }),
  /** The runs one orchestration pass handed out together: a round. Display only; the engine's state says what is in flight. */
  Type.Object({ type: Type.Literal('round'), at: Type.String(), n: Type.Integer({ minimum: 1 }), k: Type.Integer({ minimum: 1 }), runs: Type.Array(RoundRunSchema) }),
  /** Where a run is being tested (a lab machine, or a test worker's slot for command probes). */
  Type.Object({ type: Type.Literal('run-placed'), at: Type.String(), ...RunRefSchema.properties, machine: Type.String() }),
  /** Live progress inside a step (build, boot, console lines); never changes the bisection's state. */
  Type.Object({
    type: Type.Literal('step-progress'),
    at: Type.String(),
    commit: Sha,
    phase: Type.Union([Type.Literal('build'), Type.Literal('boot'), Type.Literal('console'), Type.Literal('lab')]),
    message: Type.String(),
    lines: Type.Optional(Type.Array(Type.String())),
  }),
  /**
   * What the report's mail needs that only a worker with the tree can learn, recorded once at the end:
   * the recipients the tree's scripts/get_maintainer.pl printed for the culprit (or the candidates),
   * and the compiler the builds used.
   */
  Type.Object({
    type: Type.Literal('report-facts'),
    at: Type.String(),
    recipients: ReportRecipientsSchema,
    toolchain: Type.Optional(Type.String({ description: "The compiler the kernel builds chose for the culprit's version, e.g. gcc-12-12.2.0" })),
  }),
  Type.Object({ type: Type.Literal('revert-unavailable'), at: Type.String(), reason: Type.String() }),
  Type.Object({ type: Type.Literal('cancel-requested'), at: Type.String(), by: Type.String(), reason: Type.Optional(Type.String()) }),
  /** A maintainer's judgement on the result, kept beside it (the engine's answer is never rewritten): shown on the page and in the report. */
  Type.Object({ type: Type.Literal('annotation'), at: Type.String(), ...AnnotationSchema.properties }),
  Type.Object({ type: Type.Literal('failed'), at: Type.String(), error: Type.String() }),
  Type.Object({
    type: Type.Literal('finished'),
    at: Type.String(),
    status: FinishedStatusSchema,
    culprit: Type.Optional(Sha),
    candidates: Type.Optional(Type.Array(Sha)),
    error: Type.Optional(Type.String()),
    commits: Type.Optional(Type.Array(CommitInfoSchema)),
    narrowed: Type.Optional(NarrowedSchema),
  }),
]);

export type LogEvent = Static<typeof LogEventSchema>;
export type CommitInfo = Static<typeof CommitInfoSchema>;
export type ReportRecipients = Static<typeof ReportRecipientsSchema>;
/** A log event with its stream id (the SSE event id, resumable with Last-Event-ID). */
export type StoredLogEvent = { readonly id: string; readonly event: LogEvent };
