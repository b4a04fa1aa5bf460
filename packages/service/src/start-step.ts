import type { CommitGraph } from '@kbisect/bisect';
import { startWithImported, type StartOutcome } from './driver/imported-log.js';
import { startParams } from './driver/start-params.js';
import type { LogEvent } from './log-event.js';
import type { BisectionRequest } from './request-schema.js';
import { narrowOf } from './untestable-mode.js';

/**
 * The engine's first step for a stored bisection: its `initialized` event
 * (the range, the untestable commits, the imported log's resolved marks) and
 * the request. The orchestrator checked the start before writing
 * `initialized`; a refusal here means the stored log contradicts itself.
 */
export function startStep(graph: CommitGraph, init: Extract<LogEvent, { type: 'initialized' }>, request: BisectionRequest | undefined): StartOutcome {
  const narrow = request ? narrowOf(request.probe, request.options) : undefined;
  const params = startParams(request?.options, { graph, bad: init.bad, goods: init.goods }, init.untestable);
  return startWithImported({ ...params, ...(narrow ? { narrow } : {}) }, init.imported ?? []);
}
