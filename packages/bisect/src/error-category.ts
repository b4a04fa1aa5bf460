/**
 * Who has to act on an error, which decides what a driver does with it:
 * - `infrastructure`: the machinery failed (a git command, a build machine, a
 *   lab); try again, the code under test is not to blame.
 * - `user`: the submitter's input cannot work (an unknown ref, a range that
 *   is not one, a broken Kconfig symbol name); end the bisection with the message.
 * - `configuration`: the deployment is missing something only the operator can
 *   fix (a machine spec, a secret, a config fragment directory); end the
 *   bisection with the message, retrying would fail the same way.
 * Errors carry their category as a `category` property; anything else is
 * taken as infrastructure, so an unexpected failure is retried, never blamed
 * on the submitter.
 */
export type ErrorCategory = 'infrastructure' | 'user' | 'configuration';

const CATEGORIES: ReadonlySet<string> = new Set<ErrorCategory>(['infrastructure', 'user', 'configuration']);

export function categoryOf(err: unknown): ErrorCategory {
  if (typeof err !== 'object' || err === null || !('category' in err)) return 'infrastructure';
  const c: unknown = err.category;
  return typeof c === 'string' && CATEGORIES.has(c) ? (c as ErrorCategory) : 'infrastructure';
}

/** The message to end a bisection with, for an error that must not be retried; undefined when it should be. */
export function terminalMessage(err: unknown): string | undefined {
  if (categoryOf(err) === 'infrastructure') return undefined;
  return err instanceof Error ? err.message : String(err);
}
