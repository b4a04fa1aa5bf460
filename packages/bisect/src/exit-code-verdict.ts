import type { Verdict } from './state.js';

export type ProbeOutcome =
  | { readonly kind: 'verdict'; readonly verdict: Verdict; readonly reason: string }
  | { readonly kind: 'abort'; readonly reason: string };

/**
 * `git bisect run`'s exit-code protocol, exactly: 0 good, 125 skip, 1–127
 * (other than 125) bad, anything else — 128 and up, or death by a signal —
 * aborts the bisection, because it means the test itself broke.
 */
export function verdictFromExit(exitCode: number | undefined, signal: string | undefined): ProbeOutcome {
  if (exitCode === undefined) return { kind: 'abort', reason: `test command was killed by ${signal ?? 'a signal'}` };
  if (exitCode === 0) return { kind: 'verdict', verdict: 'good', reason: 'exit code 0' };
  if (exitCode === 125) return { kind: 'verdict', verdict: 'skip', reason: 'exit code 125 (skip)' };
  if (exitCode >= 1 && exitCode <= 127) return { kind: 'verdict', verdict: 'bad', reason: `exit code ${exitCode}` };
  return { kind: 'abort', reason: `test command exited with code ${exitCode}; codes of 128 and above abort the bisection` };
}
