/**
 * The driver core `kbisect run` and the orchestrator share: opening a range,
 * options to engine parameters, an imported bisect log, the merge-base phase
 * git runs before bisecting, the kernel probe's symbols and forced reasons. No Redis, no queues: the CLI imports it as
 * `@kbisect/service/driver` without loading the service's stores.
 */
export { openRange, rangeProblem, InvalidRangeError, type RangeGit, type RangeRequest, type OpenedRange } from './open-range.js';
export { RangeTooLargeError } from './range-too-large-error.js';
export { policyFromOptions, startParams, driverStartFor } from './start-params.js';
export { startDriver, driverNext, driverResult, testsMergeBase, type DriverStart, type DriverStep, type DriverOutcome, type MergeBasePhase, type MergeBaseVerdict } from './driver-step.js';
export { checkImportLog, importedStart, resolveImportedLog, startWithImported, ImportLogError, type ImportedMark, type ImportedStart, type StartOutcome } from './imported-log.js';
export { submittedEnds, type SubmittedEnds } from './submitted-ends.js';
export { forcedReason } from './kernel-options.js';
export { requiredSymbolsOf, untestableModeOf, narrowOf, forcesRun, probesUntestable, type UntestableMode } from '../untestable-mode.js';
