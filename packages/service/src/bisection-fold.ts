import { candidateCount, runFields, runKey, runRef, type BisectEvent, type CommitGraph, type Step } from '@kbisect/bisect';
import { driverNext, type MergeBasePhase } from './driver/driver-step.js';
import type { LogEvent, StoredLogEvent } from './log-event.js';
import { driverStartOf, startStep } from './start-step.js';
import { compareStreamIds, STREAM_START } from './stream-id.js';

type Of<T extends LogEvent['type']> = Extract<LogEvent, { type: T }>;

/** Bumped whenever the fold's shape or meaning changes, the engine state's included (BisectState, Step): a snapshot of another version is replayed from the start. */
export const FOLD_VERSION = 8;

/**
 * Everything a bisection's log has said, folded: the engine's Step plus what
 * the view needs. A fold only grows by applying the entries after `lastId`,
 * so reading a bisection costs the events since the last read, not its
 * whole history (replay.ts is the same fold applied to all events at once).
 */
export interface BisectionFold {
  readonly version: typeof FOLD_VERSION;
  /** Stream id of the last entry applied. */
  readonly lastId: string;
  /** Stream id of the last entry that changed the view (progress events do not): a rendered view is reused until it moves. */
  readonly viewId: string;
  readonly created?: Of<'created'>;
  readonly initialized?: Of<'initialized'>;
  /** The first `failed` event's error: a bisection that failed before it started bisecting. */
  readonly failedEarly?: string;
  /** Why the engine refused to start (an imported log that contradicts the range): the bisection failed to start. */
  readonly refused?: string;
  readonly cancelRequested: boolean;
  /** Engine events logged before the engine could start (before `initialized`, or while its graph is unknown). */
  readonly pending: readonly LogEvent[];
  /** The engine, once `initialized` and the graph are known (during the merge-base phase: the merge base to test). */
  readonly step?: Step;
  /**
   * While the engine runs: how many commits may still be the first bad one.
   * Derived once per engine step, where the step is taken, so rendering the
   * view never walks the graph (O(range): seconds at the range cap).
   */
  readonly candidatesLeft?: number;
  /** The merge bases tested before the range when a good is not an ancestor of bad (the driver's phase before the engine's). */
  readonly mergeBase?: MergeBasePhase;
  /** Events the engine refused while running (a late conflicting manual verdict). */
  readonly ignored: readonly { readonly event: LogEvent; readonly message: string }[];
  readonly lastStart?: Of<'step-started'>;
  /** When each run last started, by runKey: what the view shows of the runs in flight (multisection). */
  readonly starts: Readonly<Record<string, string>>;
  readonly finished?: Of<'finished'>;
  /** The verdict event of each run, by runKey: its evidence, metrics and machine. */
  readonly runs: Readonly<Record<string, Of<'verdict'>>>;
  /** The last verify-revert run: it tested another kernel, so the verification carries its evidence. */
  readonly revertRun?: Of<'verdict'>;
  /** Maintainers' judgements on the result, in order. */
  readonly annotations: readonly Of<'annotation'>[];
  /** The rounds handed out, in order (multisection, repeated runs on several machines, reused and shared runs). */
  readonly rounds: readonly Of<'round'>[];
  /** Where each run is being tested or was tested, by runKey (a lab machine or a test worker's slot). */
  readonly placed: Readonly<Record<string, string>>;
  /** What the report's mail needs that only a worker with the tree could learn (recipients, toolchain). */
  readonly reportFacts?: Of<'report-facts'>;
}

export function emptyFold(): BisectionFold {
  return { version: FOLD_VERSION, lastId: STREAM_START, viewId: STREAM_START, cancelRequested: false, pending: [], ignored: [], runs: {}, starts: {}, annotations: [], rounds: [], placed: {} };
}

/** Whether folding `event` runs the engine: it starts it (`initialized`) or is an event it hears. O(range) at worst. */
export function runsEngine(event: LogEvent): boolean {
  return event.type === 'initialized' || engineEvent(event) !== undefined;
}

/** What the engine hears of a log event; undefined for events that only inform. */
function engineEvent(event: LogEvent): BisectEvent | undefined {
  if (event.type === 'verdict') {
    return { type: 'verdict', ...runFields(runRef(event)), verdict: event.verdict, reason: event.reason, source: event.source, ...(event.metrics ? { metrics: event.metrics } : {}) };
  }
  if (event.type === 'revert-unavailable') return { type: 'revert-unavailable', reason: event.reason };
  if (event.type === 'cancel-requested') return { type: 'cancel', reason: `cancelled by ${event.by}${event.reason ? `: ${event.reason}` : ''}` };
  if (event.type === 'failed') return { type: 'fail', reason: event.error };
  if (event.type === 'parallel') return { type: 'parallel', k: event.k };
  return undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Feeds one event to the engine; a refused event leaves the step as it was (and is reported while running). */
function drive(f: Mutable<BisectionFold>, ignored: { event: LogEvent; message: string }[], event: LogEvent): void {
  const input = engineEvent(event);
  if (!input || !f.step || !f.initialized) return;
  const start = driverStartOf(f.step.state.graph, f.initialized, f.created?.request);
  const after = driverNext(start, { step: f.step, ...(f.mergeBase ? { mergeBase: f.mergeBase } : {}) }, input);
  const rejected = after.step.commands.find((c) => c.type === 'rejected');
  if (rejected?.type === 'rejected') {
    if (f.step.state.status === 'running') ignored.push({ event, message: rejected.message });
    return;
  }
  f.step = after.step;
  if (after.mergeBase) f.mergeBase = after.mergeBase;
}

/**
 * Applies the entries after `fold.lastId` (older ones are skipped, so a
 * caller racing another reader may pass an overlapping range). Pure: the
 * given fold is not changed. `graph` is needed only until the engine starts.
 */
export function applyEntries(fold: BisectionFold, graph: CommitGraph | undefined, entries: readonly StoredLogEvent[]): BisectionFold {
  const f: Mutable<BisectionFold> = { ...fold };
  const ignored = [...fold.ignored];
  const pending = [...fold.pending];
  let runs: Record<string, Of<'verdict'>> | undefined;
  let starts: Record<string, string> | undefined;
  const start = (): void => {
    if (f.step || f.refused !== undefined || !f.initialized || !graph) return;
    const started = startStep(graph, f.initialized, f.created?.request);
    if (!started.ok) {
      f.refused = started.message;
      return;
    }
    f.step = started.driver.step;
    if (started.driver.mergeBase) f.mergeBase = started.driver.mergeBase;
    for (const e of pending) drive(f, ignored, e);
    pending.length = 0;
  };
  start();
  for (const { id, event } of entries) {
    if (compareStreamIds(id, f.lastId) <= 0) continue;
    f.lastId = id;
    if (event.type !== 'step-progress') f.viewId = id;
    switch (event.type) {
      case 'created':
        f.created ??= event;
        break;
      case 'initialized':
        f.initialized ??= event;
        start();
        break;
      case 'step-started':
        f.lastStart = event;
        starts ??= { ...fold.starts };
        starts[runKey(event)] = event.at;
        break;
      case 'finished':
        f.finished = event;
        break;
      case 'verdict':
        runs ??= { ...fold.runs };
        runs[runKey(event)] = event;
        if (event.purpose === 'verify-revert') f.revertRun = event;
        break;
      case 'failed':
        f.failedEarly ??= event.error;
        break;
      case 'cancel-requested':
        f.cancelRequested = true;
        break;
      case 'annotation':
        f.annotations = [...f.annotations, event];
        break;
      case 'round':
        f.rounds = [...f.rounds, event];
        break;
      case 'run-placed':
        f.placed = { ...f.placed, [runKey(event)]: event.machine };
        break;
      case 'report-facts':
        f.reportFacts ??= event;
        break;
      default:
        break;
    }
    if (engineEvent(event)) {
      if (f.step) drive(f, ignored, event);
      else pending.push(event);
    }
  }
  if (f.step !== fold.step) {
    if (f.step?.state.status === 'running') f.candidatesLeft = candidateCount(f.step.state);
    else delete f.candidatesLeft;
  }
  f.ignored = ignored;
  f.pending = pending;
  if (runs) f.runs = runs;
  if (starts) f.starts = starts;
  return f;
}
