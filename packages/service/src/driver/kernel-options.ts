import type { KernelProbe } from '../request-schema.js';

/** The config symbols a kernel probe needs: the bisection's and the probe's. */
export function requiredSymbols(probe: Pick<KernelProbe, 'requireConfig'>, options: { readonly requireConfig?: readonly string[] } | undefined): string[] {
  return [...new Set([...(options?.requireConfig ?? []), ...(probe.requireConfig ?? [])])].sort();
}

/** A verdict's reason when the commit was tested with BROKEN dependencies dropped (`untestable: force`). */
export function forcedReason(forced: readonly string[], reason: string): string {
  return forced.length > 0 ? `forced (${forced.join(', ')} without BROKEN): ${reason}` : reason;
}
