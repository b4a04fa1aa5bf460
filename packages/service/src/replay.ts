import type { BisectCommand, BisectState, CommitGraph } from '@kbisect/bisect';
import { applyEntries, emptyFold, type BisectionFold } from './bisection-fold.js';
import type { LogEvent } from './log-event.js';

export type Replayed =
  | { readonly phase: 'initializing'; readonly request: Extract<LogEvent, { type: 'created' }>['request'] | undefined; readonly cancelRequested: boolean }
  | { readonly phase: 'failed-to-start'; readonly error: string }
  | {
      readonly phase: 'bisecting';
      readonly state: BisectState;
      /** What the engine asked for after the last accepted event (the next test, with progress). */
      readonly commands: readonly BisectCommand[];
      readonly ignored: readonly { event: LogEvent; message: string }[];
    };

/** Where a fold stands, as the orchestrator and the routes ask it. */
export function replayedOf(fold: BisectionFold): Replayed {
  if (!fold.step) {
    if (fold.failedEarly !== undefined) return { phase: 'failed-to-start', error: fold.failedEarly };
    if (fold.refused !== undefined) return { phase: 'failed-to-start', error: fold.refused };
    return { phase: 'initializing', request: fold.created?.request, cancelRequested: fold.cancelRequested };
  }
  return { phase: 'bisecting', state: fold.step.state, commands: fold.step.commands, ignored: fold.ignored };
}

/** The fold of a whole log at once (events numbered as stream ids 1-0, 2-0, …). */
export function foldAll(graph: CommitGraph | undefined, events: readonly LogEvent[]): BisectionFold {
  return applyEntries(emptyFold(), graph, events.map((event, i) => ({ id: `${i + 1}-0`, event })));
}

/**
 * Recomputes a bisection from its log: the engine is deterministic, so the
 * same events always give the same state, on any host, after any crash.
 * Events the engine refuses (a late conflicting manual verdict) are reported,
 * not applied.
 */
export function replay(graph: CommitGraph | undefined, events: readonly LogEvent[]): Replayed {
  return replayedOf(foldAll(graph, events));
}
