import { Type, type Static } from '@sinclair/typebox';
import { probeTimeoutOf, withoutProbeTimeout } from './probe-timeouts.js';
import type { BisectionRequest } from './request-schema.js';

/**
 * A request field the API wrote from the submitter's token limits where the
 * submitter left it to a default (a lower timeout, a smaller bayes budget),
 * so the stored request says what is applied. Recorded on the created event
 * so a retry re-submits what the user sent, under the retrier's own limits.
 */
export const LimitFillSchema = Type.Union([Type.Literal('options.maxRuns'), Type.Literal('probe.timeoutSec'), Type.Literal('probe.reproducer.timeoutSec')]);
export type LimitFill = Static<typeof LimitFillSchema>;

/** The request as submitted: the fields the API filled from limits left out again. */
export function withoutLimitFills(request: BisectionRequest, fills: readonly LimitFill[]): BisectionRequest {
  let out = request;
  for (const fill of fills) out = without(out, fill);
  return out;
}

function without(request: BisectionRequest, fill: LimitFill): BisectionRequest {
  if (fill !== 'options.maxRuns') return probeTimeoutOf(request).field === fill ? withoutProbeTimeout(request) : request;
  if (request.options === undefined) return request;
  const { maxRuns: _, ...options } = request.options;
  return { ...request, options };
}
