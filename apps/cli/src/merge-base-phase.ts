import { engineVerdict, needsCannotRunRecheck, nextMergeBaseStep, type BisectResult, type Progress, type ProbeOutcome, type Terms, type Verdict } from '@kbisect/bisect';
import { forcedReason } from '@kbisect/service/driver';
import { recheckAtGood } from './cannot-run-recheck.js';
import type { RunDeps, RunRequest } from './run-ports.js';

export type MergeBaseVerdict = BisectResult['verdicts'][number];

export type MergeBasePhase =
  | { readonly kind: 'done'; readonly goods: readonly string[]; readonly verdicts: readonly MergeBaseVerdict[] }
  | { readonly kind: 'failed'; readonly reason: string; readonly verdicts: readonly MergeBaseVerdict[] };

/**
 * Tests the merge bases git tests before bisecting when a good commit is not
 * an ancestor of bad ({@link nextMergeBaseStep} decides), with the same
 * worktree, preparation and probe as a bisection step.
 */
export async function testMergeBases(
  start: {
    readonly bad: string; readonly goods: readonly string[]; readonly mergeBases: readonly string[]; readonly terms?: Terms; readonly progress: Progress;
    /** Merge-base marks an imported log already holds (raw probe terms): not tested again. */
    readonly known?: readonly { readonly commit: string; readonly verdict: Verdict }[];
  },
  req: Pick<RunRequest, 'prepareWorktree'>,
  deps: RunDeps,
): Promise<MergeBasePhase> {
  const tested = new Map<string, Verdict>((start.known ?? []).map((m) => [m.commit, engineVerdict(m.verdict, start.terms)]));
  const verdicts: MergeBaseVerdict[] = (start.known ?? []).map((m) => ({ commit: m.commit, verdict: m.verdict, reason: `merge base: marked ${m.verdict} in an imported bisect log`, source: 'log' }));
  for (let n = 1; ; n++) {
    const step = nextMergeBaseStep({ bad: start.bad, goods: start.goods, mergeBases: start.mergeBases, tested, ...(start.terms ? { terms: start.terms } : {}) });
    if (step.kind !== 'test') return { ...step, verdicts };
    const commit = step.commit;
    deps.reporter.stepStarted(n, commit, undefined, { ...start.progress, tested: n - 1 }, 'a merge base must be tested first, as git does');
    await deps.checkout.checkout(commit);
    const { dir } = deps.checkout;
    const forced = req.prepareWorktree ? await req.prepareWorktree(dir, 'bisect') : [];
    let outcome: ProbeOutcome = await deps.probe.test(commit, dir);
    if (forced.length > 0 && outcome.kind === 'verdict') outcome = { ...outcome, reason: forcedReason(forced, outcome.reason) };
    if (needsCannotRunRecheck(outcome, n === 1)) outcome = await recheckAtGood(outcome, commit, [...start.goods].sort()[0]!, deps);
    if (outcome.kind === 'abort') return { kind: 'failed', reason: `${commit}: ${outcome.reason}`, verdicts };
    deps.reporter.stepFinished(n, commit, outcome.verdict, outcome.reason);
    tested.set(commit, engineVerdict(outcome.verdict, start.terms));
    verdicts.push({ commit, verdict: outcome.verdict, reason: `merge base: ${outcome.reason}`, source: 'probe' });
  }
}
