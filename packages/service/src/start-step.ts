import type { CommitGraph } from '@kbisect/bisect';
import { startDriver, type DriverOutcome, type DriverStart } from './driver/driver-step.js';
import { driverStartFor } from './driver/start-params.js';
import type { LogEvent } from './log-event.js';
import type { BisectionRequest } from './request-schema.js';
import { narrowOf } from './untestable-mode.js';

/**
 * What the driver starts from for a stored bisection: its `initialized` event
 * (the range, the untestable commits, the merge bases to test first, the
 * imported log's resolved marks) and the request.
 */
export function driverStartOf(graph: CommitGraph, init: Extract<LogEvent, { type: 'initialized' }>, request: BisectionRequest | undefined): DriverStart {
  const narrow = request ? narrowOf(request.probe, request.options) : undefined;
  // An imported log started with --first-parent continues in that mode (issue 14.3).
  const options = init.firstParent ? { ...request?.options, firstParent: true } : request?.options;
  return driverStartFor(options, { graph, bad: init.bad, goods: init.goods, mergeBases: init.mergeBases }, init.untestable, { narrow, imported: init.imported });
}

/**
 * The driver's first step for a stored bisection. The orchestrator checked the
 * start before writing `initialized`; a refusal here means the stored log
 * contradicts itself.
 */
export function startStep(graph: CommitGraph, init: Extract<LogEvent, { type: 'initialized' }>, request: BisectionRequest | undefined): DriverOutcome {
  return startDriver(driverStartOf(graph, init, request));
}
