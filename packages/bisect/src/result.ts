import type { EndpointResult } from './endpoint-check.js';
import type { NarrowedSummary } from './narrowing.js';
import type { BisectState, BisectStatus, RunPurpose, Verdict, VerdictSource, VerificationSummary } from './state.js';

/** The result JSON of ARCHITECTURE.md, as `kbisect run --json` and the API report it. */
export interface BisectResult {
  readonly id: string;
  readonly status: BisectStatus;
  readonly culprit?: string;
  readonly candidates?: readonly string[];
  /** Commits tested (a probe run or a maintainer's verdict); untestable skips cost nothing and are not counted. */
  readonly steps: number;
  /** `purpose` (endpoint check, verification, calibration) and `run` appear when not a step's first run. */
  readonly verdicts: readonly { readonly commit: string; readonly verdict: Verdict; readonly reason: string; readonly source: VerdictSource; readonly purpose?: RunPurpose; readonly run?: number }[];
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
      ...(r.purpose && r.purpose !== 'bisect' ? { purpose: r.purpose } : {}),
      ...(r.run ? { run: r.run } : {}),
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

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

function runsByCommit(state: BisectState): { commit: string; outcomes: string[] }[] {
  const out = new Map<string, string[]>();
  for (const r of state.history) {
    if (r.source === 'start') continue;
    const list = out.get(r.commit) ?? [];
    list.push(r.purpose && r.purpose !== 'bisect' ? `${r.verdict} (${r.purpose})` : r.verdict);
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
