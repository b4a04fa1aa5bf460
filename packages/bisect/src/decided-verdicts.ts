import { isBisectRun, runRef } from './run-ref.js';
import type { BisectState, Terms, Verdict, VerdictRecord } from './state.js';

/**
 * A probe says `bad` when the bug shows. For a regression that makes the
 * commit "new" (bad); when looking for a fix it makes the commit "old" — the
 * engine always searches for the first "new" commit, so fix terms swap.
 */
export function engineVerdict(raw: Verdict, terms: Terms | undefined): Verdict {
  if (terms !== 'fix' || raw === 'skip') return raw;
  return raw === 'bad' ? 'good' : 'bad';
}

/**
 * The verdicts git's search runs on, in engine terms, in the order they were
 * decided. Deterministic: every run decides. Repeat: a commit is decided once
 * `badAfter` runs showed the bug or `goodAfter` did not; a skip run, a
 * maintainer's word or an imported mark decides at once.
 */
export function decidedVerdicts(state: BisectState): VerdictRecord[] {
  const policy = state.policy ?? { kind: 'deterministic' };
  const out: VerdictRecord[] = [];
  const decided = new Set<string>();
  const counts = new Map<string, { present: number; absent: number }>();
  for (const r of state.history) {
    if (!isBisectRun(r)) continue;
    if (r.source === 'start') {
      out.push(r);
      continue;
    }
    if (decided.has(r.commit)) continue;
    const mapped = { ...r, verdict: engineVerdict(r.verdict, state.terms) };
    if (policy.kind !== 'repeat' || r.source !== 'probe' || r.verdict === 'skip') {
      decided.add(r.commit);
      out.push(mapped);
      continue;
    }
    const c = counts.get(r.commit) ?? { present: 0, absent: 0 };
    if (r.verdict === 'bad') c.present++;
    else c.absent++;
    counts.set(r.commit, c);
    if (c.present >= policy.badAfter || c.absent >= policy.goodAfter) {
      decided.add(r.commit);
      const raw: Verdict = c.present >= policy.badAfter ? 'bad' : 'good';
      out.push({ ...mapped, verdict: engineVerdict(raw, state.terms), reason: `${c.present} of ${c.present + c.absent} runs showed the bug` });
    }
  }
  return out;
}

/**
 * The index of the next bisect run of `commit`: the lowest one without a
 * probe verdict. Runs of one commit may land out of order when they run on
 * several machines at once (run 2 before run 1), so a count would name a run
 * that already has its verdict.
 */
export function bisectRunsOf(state: BisectState, commit: string): number {
  return nextRunIndex(state.history.filter((r) => r.source === 'probe'), commit);
}

/** The lowest bisect run index of `commit` that no record of `records` has. */
export function nextRunIndex(records: readonly VerdictRecord[], commit: string): number {
  const used = new Set(records.filter((r) => r.commit === commit && isBisectRun(r)).map((r) => runRef(r).run));
  let run = 0;
  while (used.has(run)) run++;
  return run;
}
