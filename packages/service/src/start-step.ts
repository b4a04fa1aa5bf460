import { startBisection, type CommitGraph, type PolicyInput, type Step } from '@kbisect/bisect';
import type { LogEvent } from './log-event.js';
import type { BisectionRequest } from './request-schema.js';
import { narrowOf } from './untestable-mode.js';

function policyOf(o: NonNullable<BisectionRequest['options']>): PolicyInput {
  if (o.policy === 'repeat') return { kind: 'repeat', ...(o.badAfter !== undefined ? { badAfter: o.badAfter } : {}), ...(o.goodAfter !== undefined ? { goodAfter: o.goodAfter } : {}) };
  if (o.policy === 'bayes') return { kind: 'bayes', ...(o.confidence !== undefined ? { confidence: o.confidence } : {}), ...(o.maxRuns !== undefined ? { maxRuns: o.maxRuns } : {}), ...(o.detection !== undefined ? { detection: o.detection } : {}) };
  return { kind: 'deterministic' };
}

/** The engine's first step for a stored bisection: its `initialized` event and the request. */
export function startStep(graph: CommitGraph, init: Extract<LogEvent, { type: 'initialized' }>, request: BisectionRequest | undefined): Step {
  const options = request?.options;
  const narrow = request ? narrowOf(request.probe, options) : undefined;
  return startBisection({
    graph,
    bad: init.bad,
    goods: init.goods,
    firstParent: options?.firstParent ?? false,
    untestable: init.untestable,
    ...(options ? { policy: policyOf(options) } : {}),
    ...(options?.verify || options?.verifyRevert ? { verify: { revert: options.verifyRevert ?? false } } : {}),
    // Requests stored before the option existed carry no value: they keep their old behaviour.
    ...(options?.checkEndpoints ? { checkEndpoints: true } : {}),
    ...(narrow ? { narrow } : {}),
  });
}
