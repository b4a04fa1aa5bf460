import { UsageError } from './usage-error.js';

/**
 * The commit of a bisection's range a user named by a prefix of its sha (as
 * `git` takes one: at least 4 hex digits, unique); a full sha passes as is.
 * `what` names the argument in the error. Pure.
 */
export function commitByPrefix(commits: readonly string[], given: string, what: string): string {
  const prefix = given.toLowerCase();
  if (!/^[0-9a-f]{4,40}$/.test(prefix)) throw new UsageError(`${what}: '${given}' is not a commit sha or a prefix of one (4 to 40 hex digits)`);
  const matches = commits.filter((c) => c.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new UsageError(`${what}: no commit of the bisection's range starts with ${prefix} (a good end is not in the range: give its full sha)`);
  throw new UsageError(`${what}: ${prefix} is ambiguous in the bisection's range (${matches.slice(0, 3).map((c) => c.slice(0, 12)).join(', ')}${matches.length > 3 ? ', …' : ''})`);
}
