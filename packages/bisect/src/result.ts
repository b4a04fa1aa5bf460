import type { EndpointResult } from './endpoint-result.js';
import type { NarrowedSummary } from './narrowed-summary.js';
import { isBisectRun, runFields, runRef, type RunFields } from './run-ref.js';
import type { BisectState, BisectStatus, Verdict, VerdictSource, VerificationSummary } from './state.js';

/** The result JSON of ARCHITECTURE.md, as `kbisect run --json` and the API report it. */
export interface BisectResult {
  readonly id: string;
  readonly status: BisectStatus;
  readonly culprit?: string;
  readonly candidates?: readonly string[];
  /** Commits tested (a probe run or a maintainer's verdict); untestable skips cost nothing and are not counted. */
  readonly steps: number;
  /** `purpose` (endpoint check, verification, calibration) and `run` appear when not a step's first run. */
  readonly verdicts: readonly (Omit<RunFields, 'revert'> & { readonly verdict: Verdict; readonly reason: string; readonly source: VerdictSource })[];
  readonly error?: string;
  /** Posterior of the answer (flaky policies). */
  readonly confidence?: number;
  readonly posterior?: readonly { readonly commit: string; readonly probability: number }[];
  /** Per commit, every run and its outcome, in order (the evidence behind the verdicts). */
  readonly runs?: readonly { readonly commit: string; readonly outcomes: readonly string[] }[];
  readonly verification?: VerificationSummary;
  readonly policy?: string;
  /** What testing the ends before the first step showed, when it was done. */
  readonly endpoints?: readonly EndpointResult[];
  /**
   * `untestable: narrow`: the answer among the honest candidates with the
   * blocking dependency dropped (forced), beside the honest `candidates`.
   */
  readonly narrowed?: NarrowedSummary;
}

export function toResult(id: string, state: BisectState): BisectResult {
  const verdicts = state.history
    .filter((r) => r.source !== 'start')
    .map((r) => ({
      commit: r.commit, verdict: r.verdict, reason: r.reason ?? defaultReason(r.source, r.verdict), source: r.source,
      ...withoutRevert(runFields(runRef(r))),
    }));
  return {
    id,
    status: state.status,
    ...(state.culprit !== undefined ? { culprit: state.culprit } : {}),
    ...(state.candidates !== undefined ? { candidates: state.candidates } : {}),
    steps: state.history.filter((r) => r.source === 'probe' || r.source === 'manual').length,
    verdicts,
    ...(state.error !== undefined ? { error: state.error } : {}),
    ...(state.confidence !== undefined ? { confidence: round(state.confidence) } : {}),
    ...(state.posterior !== undefined ? { posterior: state.posterior.map((p) => ({ commit: p.commit, probability: round(p.probability) })) } : {}),
    ...(state.policy !== undefined || state.verify !== undefined || state.checkEndpoints ? { runs: runsByCommit(state) } : {}),
    ...(state.verification !== undefined ? { verification: state.verification } : {}),
    ...(state.policy !== undefined ? { policy: state.policy.kind } : {}),
    ...(state.endpoints !== undefined ? { endpoints: state.endpoints } : {}),
    ...(state.narrowed !== undefined ? { narrowed: state.narrowed } : {}),
  };
}

const withoutRevert = ({ revert: _r, commit: _c, ...rest }: RunFields): Omit<RunFields, 'revert' | 'commit'> => rest;

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

function runsByCommit(state: BisectState): { commit: string; outcomes: string[] }[] {
  const out = new Map<string, string[]>();
  for (const r of state.history) {
    if (r.source === 'start') continue;
    const list = out.get(r.commit) ?? [];
    list.push(isBisectRun(r) ? r.verdict : `${r.verdict} (${r.purpose})`);
    out.set(r.commit, list);
  }
  return [...out].map(([commit, outcomes]) => ({ commit, outcomes }));
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
