import type { BisectionRequest } from './request-schema.js';
import type { Grant } from './request-seal.js';

/**
 * A command probe's per-run timeout when the request names none. Workers and
 * the API both read KBISECT_TEST_TIMEOUT_SEC over it: the worker applies it,
 * the API caps it by the submitter's token.
 * @defaultValue 3600
 */
export const DEFAULT_COMMAND_TIMEOUT_SEC = 3600;
/** A kernel probe's reproducer deadline when the request names none. */
export const DEFAULT_REPRODUCER_TIMEOUT_SEC = 900;

/** The defaults a worker fills in for a probe without a timeout. */
export interface ProbeTimeoutDefaults {
  readonly commandSec: number;
  readonly reproducerSec: number;
}

/** The request's probe timeout as a field name and its value (undefined: the worker's default applies). */
export function probeTimeoutOf(request: BisectionRequest): { readonly field: 'probe.timeoutSec' | 'probe.reproducer.timeoutSec'; readonly sec: number | undefined } {
  return request.probe.type === 'command'
    ? { field: 'probe.timeoutSec', sec: request.probe.timeoutSec }
    : { field: 'probe.reproducer.timeoutSec', sec: request.probe.reproducer.timeoutSec };
}

/** The request with `sec` as its probe's timeout. */
export function withProbeTimeout(request: BisectionRequest, sec: number): BisectionRequest {
  const probe = request.probe.type === 'command'
    ? { ...request.probe, timeoutSec: sec }
    : { ...request.probe, reproducer: { ...request.probe.reproducer, timeoutSec: sec } };
  return { ...request, probe };
}

/** The request with no probe timeout of its own: the worker's default (under the grant's cap) applies. */
export function withoutProbeTimeout(request: BisectionRequest): BisectionRequest {
  if (request.probe.type === 'command') {
    const { timeoutSec: _, ...probe } = request.probe;
    return { ...request, probe };
  }
  const { timeoutSec: _, ...reproducer } = request.probe.reproducer;
  return { ...request, probe: { ...request.probe, reproducer } };
}

/**
 * The timeout a worker applies to a run of the request's probe: the one it
 * names, else the worker's own default, never above the cap the API signed
 * into the grant (the API caps what it stores, but only knows the workers'
 * default if it is told the same KBISECT_TEST_TIMEOUT_SEC).
 */
export function appliedTimeoutSec(request: BisectionRequest, grant: Pick<Grant, 'maxTimeoutSec'> | undefined, workerDefaultSec: number): number {
  return Math.min(probeTimeoutOf(request).sec ?? workerDefaultSec, grant?.maxTimeoutSec ?? Number.POSITIVE_INFINITY);
}
