import type { LogEvent } from './log-event.js';

/** A server directory and the word it becomes in text that readers see. */
export interface ServerPath {
  readonly path: string;
  readonly label: string;
}

/**
 * Replaces the worker's own directories (cache, home, temp, …) in text
 * bound for readers — a failed bisection's error, a verdict's reason — with
 * a label, so an error from git or make does not show the server's layout.
 * Longest paths first, so a cache under the home becomes `<cache>`, not
 * `<home>/.cache/…`.
 */
export function pathRedactor(paths: readonly ServerPath[]): (text: string) => string {
  const sorted = paths.filter((p) => p.path.length > 1).map((p) => ({ ...p, path: p.path.replace(/\/+$/, '') })).sort((a, b) => b.path.length - a.path.length);
  return (text) => sorted.reduce((t, p) => t.split(p.path).join(p.label), text);
}

/** The event with its reader-facing texts redacted (the `error` of failed/finished, a verdict's `reason`). */
export function redactEvent(event: LogEvent, redact: (text: string) => string): LogEvent {
  if ((event.type === 'failed' || event.type === 'finished') && event.error !== undefined) return { ...event, error: redact(event.error) };
  if (event.type === 'verdict') return { ...event, reason: redact(event.reason) };
  return event;
}
