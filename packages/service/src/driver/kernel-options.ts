/** A verdict's reason when the commit was tested with BROKEN dependencies dropped (`untestable: force`). */
export function forcedReason(forced: readonly string[], reason: string): string {
  return forced.length > 0 ? `forced (${forced.join(', ')} without BROKEN): ${reason}` : reason;
}
