export { isFullSha, validateGraph, OUTSIDE_RANGE, SHA_PATTERN, type CommitGraph } from './commit-graph.js';
export { startBisection, next, type StartParams } from './reducer.js';
export { toResult, type BisectResult } from './result.js';
export { toBisectLog, parseBisectLog, logStartEnds, type ParsedBisectLog, type ParseLogOutcome } from './bisect-log.js';
export { estimateBisectSteps } from './progress.js';
export { candidateCount, candidatesOf } from './inspect.js';
export type {
  Verdict, VerdictSource, VerdictRecord, BisectStatus, BisectState, BisectEvent, Progress, RejectionCode, BisectCommand, Step,
} from './state.js';
export { verdictFromExit, cannotRunRecheck, needsCannotRunRecheck, goodForRecheck, type ProbeOutcome } from './exit-code-verdict.js';
export { normalizePolicy, runsForConfidence, type Policy, type PolicyInput } from './policy.js';
export { fisherExactTwoSided } from './fisher-exact.js';
export { engineVerdict, nextRunIndex } from './decided-verdicts.js';
export type { Terms, VerificationSummary } from './state.js';
export { RUN_PURPOSES, RUN_DEFAULTS, runRef, runFields, runKey, runName, isBisectRun, type RunPurpose, type RunRef, type RunFields } from './run-ref.js';
export type { EndpointResult } from './endpoint-result.js';
export { indexGraph, type GraphIndex } from './graph-index.js';
export { nextEndpointCheck, endpointRuns, type EndpointStep } from './endpoint-check.js';
export { categoryOf, terminalMessage, type ErrorCategory } from './error-category.js';
export { nextNarrowing, type NarrowingStep } from './narrowing.js';
export type { NarrowedSummary } from './narrowed-summary.js';
export { ANSWERED_STATUSES, type AnsweredStatus } from './answered-status.js';
export { rangeFromImportedLog, type StartRange, type ImportedRangeOutcome } from './imported-range.js';
export { nextMergeBaseStep, type MergeBaseStep } from './merge-base-check.js';
export { MAX_PARALLEL } from './parallel-search.js';
export { runsAfterVerdict, runsInFlight, speculativeRuns, type RunsAfterVerdict } from './speculation.js';
export { contradictedBy, disputedOffers, type OfferedVerdict } from './verdict-conflicts.js';
