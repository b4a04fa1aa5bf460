import { next, runFields, runRef, type BisectCommand, type BisectState, type CommitGraph, type Step } from '@kbisect/bisect';
import { startParams } from './driver/start-params.js';
import { startWithImported } from './driver/imported-log.js';
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

/**
 * Recomputes a bisection from its log: the engine is deterministic, so the
 * same events always give the same state, on any host, after any crash.
 * Events the engine refuses (a late conflicting manual verdict) are reported,
 * not applied.
 */
export function replay(graph: CommitGraph | undefined, events: readonly LogEvent[]): Replayed {
  const created = events.find((e): e is Extract<LogEvent, { type: 'created' }> => e.type === 'created');
  const init = events.find((e): e is Extract<LogEvent, { type: 'initialized' }> => e.type === 'initialized');
  const failedEarly = events.find((e): e is Extract<LogEvent, { type: 'failed' }> => e.type === 'failed');
  if (!init || !graph) {
    if (failedEarly) return { phase: 'failed-to-start', error: failedEarly.error };
    return { phase: 'initializing', request: created?.request, cancelRequested: events.some((e) => e.type === 'cancel-requested') };
  }
  // The orchestrator checked the start (and any imported log) before writing `initialized`.
  const started = startWithImported(startParams(created?.request.options, { graph, bad: init.bad, goods: init.goods }, init.untestable), init.imported ?? []);
  if (!started.ok) return { phase: 'failed-to-start', error: started.message };
  let step: Step = started.step;
  const ignored: { event: LogEvent; message: string }[] = [];
  for (const event of events) {
    let after: Step | undefined;
    if (event.type === 'verdict') {
      after = next(step.state, { type: 'verdict', ...runFields(runRef(event)), verdict: event.verdict, reason: event.reason, source: event.source, ...(event.metrics ? { metrics: event.metrics } : {}) });
    } else if (event.type === 'revert-unavailable') {
      after = next(step.state, { type: 'revert-unavailable', reason: event.reason });
    } else if (event.type === 'cancel-requested') {
      after = next(step.state, { type: 'cancel', reason: `cancelled by ${event.by}${event.reason ? `: ${event.reason}` : ''}` });
    } else if (event.type === 'failed') {
      after = next(step.state, { type: 'fail', reason: event.error });
    }
    if (!after) continue;
    const rejected = after.commands.find((c) => c.type === 'rejected');
    if (rejected?.type === 'rejected') {
      if (step.state.status === 'running') ignored.push({ event, message: rejected.message });
      continue;
    }
    step = after;
  }
  return { phase: 'bisecting', state: step.state, commands: step.commands, ignored };
}
