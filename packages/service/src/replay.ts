import { next, startBisection, type BisectCommand, type BisectState, type CommitGraph, type Step } from '@kbisect/bisect';
import type { PolicyInput } from '@kbisect/bisect';
import type { LogEvent } from './log-event.js';
import type { BisectionRequest } from './request-schema.js';
import { narrowOf } from './untestable-mode.js';

function policyOf(o: NonNullable<BisectionRequest['options']>): PolicyInput {
  if (o.policy === 'repeat') return { kind: 'repeat', ...(o.badAfter !== undefined ? { badAfter: o.badAfter } : {}), ...(o.goodAfter !== undefined ? { goodAfter: o.goodAfter } : {}) };
  if (o.policy === 'bayes') return { kind: 'bayes', ...(o.confidence !== undefined ? { confidence: o.confidence } : {}), ...(o.maxRuns !== undefined ? { maxRuns: o.maxRuns } : {}), ...(o.detection !== undefined ? { detection: o.detection } : {}) };
  return { kind: 'deterministic' };
}

function narrowParam(request: BisectionRequest | undefined): { narrow?: { forced: string[] } } {
  const narrow = request ? narrowOf(request.probe, request.options) : undefined;
  return narrow ? { narrow } : {};
}

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
  const options = created?.request.options;
  let step: Step = startBisection({
    graph,
    bad: init.bad,
    goods: init.goods,
    firstParent: options?.firstParent ?? false,
    untestable: init.untestable,
    ...(options ? { policy: policyOf(options) } : {}),
    ...(options?.verify || options?.verifyRevert ? { verify: { revert: options.verifyRevert ?? false } } : {}),
    // Requests stored before the option existed carry no value: they keep their old behaviour.
    ...(options?.checkEndpoints ? { checkEndpoints: true } : {}),
    ...narrowParam(created?.request),
  });
  const ignored: { event: LogEvent; message: string }[] = [];
  for (const event of events) {
    let after: Step | undefined;
    if (event.type === 'verdict') {
      after = next(step.state, { type: 'verdict', commit: event.commit, verdict: event.verdict, reason: event.reason, source: event.source, ...(event.run ? { run: event.run } : {}), ...(event.purpose && event.purpose !== 'bisect' ? { purpose: event.purpose } : {}) });
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
