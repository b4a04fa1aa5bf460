export { BisectionRequestSchema, CommandProbeSchema, KernelProbeSchema, ProbeSchema, RefSchema, ConfigSymbolSchema, BisectionOptionsSchema } from './request-schema.js';
export type { BisectionRequest, BisectionOptions, CommandProbe, KernelProbe } from './request-schema.js';
export { LogEventSchema, CommitInfoSchema, AnnotationSchema, type Annotation, type LogEvent, type StoredLogEvent, type CommitInfo, ReportRecipientsSchema, type ReportRecipients } from './log-event.js';
export { EventLog } from './event-log.js';
export { ConsoleLog, CONSOLE_CAP, type ConsoleEvent } from './console-log.js';
export { parseCursor, formatCursor, advance, mergeEntries, readStreams, waitStreams, CURSOR_PATTERN, type StreamCursor, type StreamEntry } from './bisection-streams.js';
export { compareStreamIds, STREAM_START } from './stream-id.js';
export { CorruptLogError } from './corrupt-log-error.js';
export { keysFor, type Keys } from './keys.js';
export { replay, replayedOf, foldAll, type Replayed } from './replay.js';
export { applyEntries, emptyFold, FOLD_VERSION, type BisectionFold } from './bisection-fold.js';
export { STATUSES, type BisectionStatus } from './shared-schemas.js';
export { BisectionStore, type Loaded, type ListedBisection, type ListOptions } from './bisection-store.js';
export { BisectionViewSchema, toView, type BisectionView } from './bisection-view.js';
export {
  queueNames, jobIds, stepNames, OrchestrateJobSchema, BuildJobSchema, CommandTestJobSchema, LabTestJobSchema, TestQueueJobSchema, BuiltKernelSchema,
  type QueueNames, type OrchestrateJob, type BuildJob, type CommandTestJob, type LabTestJob, type TestQueueJob, type StepJob, type BuiltKernel,
} from './queues.js';
export { ShaSchema, VerdictSchema, PurposeSchema, RunRefSchema, ProgressSchema, StatusSchema, FinishedStatusSchema, VerificationSchema, EndpointResultSchema, type VerificationView } from './shared-schemas.js';
export { ROLES, roleAllows, isRole, type Role } from './roles.js';
export { TokenRegistry, TokenFileSchema, TokenConfigError, hashToken, newToken, type Principal, type TokenFile } from './token-registry.js';
export { connectRedis } from './redis-connection.js';
export { formatReport } from './report.js';
export { formatMail, mailSubject, mailFactsOf, REGRESSIONS_LIST, type MailOptions } from './report-mail.js';
export { bisectionLinks } from './report-mail-body.js';
export { parseAddress, formatAddress, MailAddressError, type MailAddress } from './mail-address.js';
export { wrapText, mailSafe, MAIL_WIDTH } from './mail-text.js';
export { recordStepDuration, readStepMetrics, STEP_BUCKETS } from './step-metrics.js';
export { enqueueOrchestrate, KEEP_JOBS } from './enqueue-orchestrate.js';
export { closeOnSignal } from './run-until-signal.js';
export { MachineStore, MachineNotFoundError, MachineBusyError } from './machine-store.js';
export { UntestableModeSchema, NarrowedSchema, requiredSymbolsOf, untestableModeOf, narrowOf, narrowedOf, type UntestableMode } from './untestable-mode.js';
export { ListItemSchema, listItemOf, matchesText, reproducerLine, type ListItem } from './list-item.js';
export { RangeSchema, QueueStateSchema, SessionViewSchema, type RangeView, type QueueState, type SessionView } from './ui-schemas.js';
