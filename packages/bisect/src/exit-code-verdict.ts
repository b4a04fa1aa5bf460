import { decidedVerdicts } from './decided-verdicts.js';
import type { BisectState, Verdict } from './state.js';

export type ProbeOutcome =
  | {
      readonly kind: 'verdict';
      readonly verdict: Verdict;
      readonly reason: string;
      /** The command's exit code, when a command decided (126/127 need git's re-check). */
      readonly exitCode?: number;
    }
  | { readonly kind: 'abort'; readonly reason: string };

/**
 * `git bisect run`'s exit-code protocol, exactly: 0 good, 125 skip, 1–127
 * (other than 125) bad, anything else — 128 and up, or death by a signal —
 * aborts the bisection, because it means the test itself broke. A 126 or 127
 * on the first test is bad only once {@link cannotRunRecheck} says so.
 */
export function verdictFromExit(exitCode: number | undefined, signal: string | undefined): ProbeOutcome {
  if (exitCode === undefined) return { kind: 'abort', reason: `test command was killed by ${signal ?? 'a signal'}` };
  if (exitCode === 0) return { kind: 'verdict', verdict: 'good', reason: 'exit code 0', exitCode };
  if (exitCode === 125) return { kind: 'verdict', verdict: 'skip', reason: 'exit code 125 (skip)', exitCode };
  if (exitCode >= 1 && exitCode <= 127) return { kind: 'verdict', verdict: 'bad', reason: `exit code ${exitCode}`, exitCode };
  return { kind: 'abort', reason: `test command exited with code ${exitCode}; codes of 128 and above abort the bisection` };
}

const CANNOT_RUN: Readonly<Record<number, string>> = { 126: 'found but not executable', 127: 'command not found' };

/**
 * The good commit git re-runs a 126/127 at: the first of `refs/bisect/good-*`
 * in ref order, i.e. the smallest sha among the commits known good so far.
 */
export function goodForRecheck(state: BisectState): string {
  // decidedVerdicts speaks engine terms: "good" is git's good term for a fix too.
  const goods = decidedVerdicts(state).filter((r) => r.verdict === 'good').map((r) => r.commit);
  return [...new Set([...state.goods, ...goods])].sort()[0]!;
}

/**
 * `git bisect run`'s guard against a test command that cannot run at all:
 * exit 126 or 127 on the first test of a run may come from the shell (the
 * command is missing or not executable), so git runs the command once more
 * at a good commit. The same code there means the command never ran: git
 * aborts ("bogus exit code … for good revision") and so do we, saying so;
 * 128+ or a signal there aborts too ("unable to verify"); any other code
 * there lets the first one stand as bad. Returns the outcome to record.
 */
export function cannotRunRecheck(first: ProbeOutcome & { kind: 'verdict' }, at: { commit: string; good: string }, atGood: ProbeOutcome): ProbeOutcome {
  const code = first.exitCode ?? 0;
  const what = CANNOT_RUN[code] ?? 'could not run';
  if (atGood.kind === 'abort') {
    return { kind: 'abort', reason: `test command exited ${code} (${what}) at ${at.commit.slice(0, 12)}, and re-running it at the good commit ${at.good.slice(0, 12)} to tell a broken command from a bad commit failed too (${atGood.reason}); git bisect run aborts here as well` };
  }
  if (atGood.exitCode === code) {
    return { kind: 'abort', reason: `test command could not run: it exited ${code} (${what}) at ${at.commit.slice(0, 12)} and again at the good commit ${at.good.slice(0, 12)}; check the command and the paths it uses (git bisect run aborts the same way: "bogus exit code ${code} for good revision")` };
  }
  return first;
}

/** Whether an outcome on the first test of a run needs {@link cannotRunRecheck}. */
export function needsCannotRunRecheck(outcome: ProbeOutcome, firstTest: boolean): outcome is ProbeOutcome & { kind: 'verdict' } {
  return firstTest && outcome.kind === 'verdict' && (outcome.exitCode === 126 || outcome.exitCode === 127);
}
