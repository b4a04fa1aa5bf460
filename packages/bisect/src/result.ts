import type { BisectState, BisectStatus, Verdict, VerdictSource } from './state.js';

/** The result JSON of ARCHITECTURE.md, as `kbisect run --json` and the API report it. */
export interface BisectResult {
  readonly id: string;
  readonly status: BisectStatus;
  readonly culprit?: string;
  readonly candidates?: readonly string[];
  /** Commits tested (a probe run or a maintainer's verdict); untestable skips cost nothing and are not counted. */
  readonly steps: number;
  readonly verdicts: readonly { readonly commit: string; readonly verdict: Verdict; readonly reason: string; readonly source: VerdictSource }[];
  readonly error?: string;
}

export function toResult(id: string, state: BisectState): BisectResult {
  const verdicts = state.history
    .filter((r) => r.source !== 'start')
    .map((r) => ({ commit: r.commit, verdict: r.verdict, reason: r.reason ?? defaultReason(r.source, r.verdict), source: r.source }));
  return {
    id,
    status: state.status,
    ...(state.culprit !== undefined ? { culprit: state.culprit } : {}),
    ...(state.candidates !== undefined ? { candidates: state.candidates } : {}),
    steps: state.history.filter((r) => r.source === 'probe' || r.source === 'manual').length,
    verdicts,
    ...(state.error !== undefined ? { error: state.error } : {}),
  };
}

function defaultReason(source: VerdictSource, verdict: Verdict): string {
  switch (source) {
    case 'manual':
      return `marked ${verdict} by a maintainer`;
    case 'log':
      return `marked ${verdict} in an imported bisect log`;
    default:
      return verdict;
  }
}
