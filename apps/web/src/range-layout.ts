import type { BisectionView, RangeView } from '@kbisect/service';

export type Mark = 'good' | 'bad' | 'skip' | 'untestable' | 'candidate' | 'testing' | 'out';

/** One commit of the picture: where it sits and what is known of it. */
export interface LaidCommit {
  readonly sha: string;
  readonly subject: string;
  /** 0 = oldest. */
  readonly x: number;
  readonly lane: number;
  readonly mark: Mark;
  /** Still one of the commits that may be the first bad one: drawn outlined. */
  readonly candidate: boolean;
  readonly reason?: string;
}

export interface RangeLayout {
  readonly commits: readonly LaidCommit[];
  readonly lanes: number;
  readonly counts: Readonly<Record<Mark, number>>;
  /** The untestable commits' reasons, each with how many commits it covers. */
  readonly untestableReasons: readonly { readonly reason: string; readonly count: number }[];
}

/** Side branches beyond this many share lanes: the picture stays readable on wide merges. */
const MAX_LANES = 6;

/**
 * Lays a range out oldest to newest. The first-parent line of the bad end is
 * lane 0; each merge's other parents open the next lanes. A commit's mark is
 * its last bisect verdict, else untestable, else whether it is still a candidate.
 */
export function layoutRange(range: RangeView, view: BisectionView): RangeLayout {
  const n = range.commits.length;
  const lane = new Int32Array(n).fill(-1);
  let opened = 0;
  for (let i = 0; i < n; i++) {
    if (lane[i] === -1) lane[i] = opened++ % MAX_LANES;
    const own = lane[i]!;
    range.parents[i]!.forEach((p, k) => {
      if (p < 0 || lane[p] !== -1) return;
      lane[p] = k === 0 ? own : (opened++ % MAX_LANES);
    });
  }
  const verdicts = new Map<string, { verdict: string; reason: string; untestable: boolean }>();
  for (const v of view.verdicts) if (!v.purpose || v.purpose === 'narrow') verdicts.set(v.commit, { verdict: v.verdict, reason: v.reason, untestable: v.source === 'untestable' });
  const candidates = new Set(range.candidates);
  const testing = view.current?.commit;
  const counts: Record<Mark, number> = { good: 0, bad: 0, skip: 0, untestable: 0, candidate: 0, testing: 0, out: 0 };
  const reasons = new Map<string, number>();
  const commits: LaidCommit[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const sha = range.commits[i]!;
    const v = verdicts.get(sha);
    const untestableReason = range.untestable[sha] ?? (v?.untestable ? v.reason : undefined);
    let mark: Mark;
    let reason: string | undefined;
    if (sha === testing) mark = 'testing';
    else if (untestableReason !== undefined) {
      mark = 'untestable';
      reason = untestableReason;
      reasons.set(untestableReason, (reasons.get(untestableReason) ?? 0) + 1);
    } else if (v) {
      mark = v.verdict as Mark;
      reason = v.reason;
    } else mark = candidates.has(sha) ? 'candidate' : 'out';
    counts[mark]++;
    commits.push({ sha, subject: range.subjects?.[i] ?? '', x: n - 1 - i, lane: lane[i]!, mark, candidate: candidates.has(sha), ...(reason !== undefined ? { reason } : {}) });
  }
  return { commits, lanes: Math.min(Math.max(opened, 1), MAX_LANES), counts, untestableReasons: [...reasons].map(([reason, count]) => ({ reason, count })) };
}
