import { engineVerdict } from './decided-verdicts.js';
import { runsForConfidence } from './policy.js';
import type { EndpointResult } from './endpoint-result.js';
import type { RunRef } from './run-ref.js';
import type { BisectState, VerdictRecord } from './state.js';

export type EndpointStep =
  | { readonly kind: 'test'; readonly ref: RunRef & { readonly purpose: 'check-good' | 'check-bad' } }
  | { readonly kind: 'passed'; readonly endpoints: readonly EndpointResult[] }
  | { readonly kind: 'failed'; readonly endpoints: readonly EndpointResult[]; readonly error: string };

/**
 * How many runs an end gets: one for a deterministic reproducer; for a flaky
 * one, enough that a bug showing with the policy's detection rate would show
 * at the bad end with 95% probability (and as many clean runs at the good end).
 */
export function endpointRuns(state: BisectState): number {
  const p = state.policy;
  if (!p || p.kind === 'deterministic') return 1;
  if (p.kind === 'repeat') return p.goodAfter;
  return p.detection !== undefined ? runsForConfidence(p.detection, 0.95) : 8;
}

/**
 * The bad end first (if the bug does not show there, nothing else matters),
 * then each good end. An end is done at the first run that shows the bug, or
 * after `endpointRuns` clean runs; a skip means it cannot be tested. Pure.
 */
export function nextEndpointCheck(state: BisectState): EndpointStep {
  const runs = endpointRuns(state);
  const results: EndpointResult[] = [];
  const ends: { commit: string; end: 'good' | 'bad' }[] = [{ commit: state.bad, end: 'bad' }, ...state.goods.map((g) => ({ commit: g, end: 'good' as const }))];
  for (const { commit, end } of ends) {
    const purpose = end === 'bad' ? 'check-bad' : 'check-good';
    const records = state.history.filter((r): r is VerdictRecord => r.commit === commit && r.purpose === purpose);
    const skip = records.find((r) => r.verdict === 'skip');
    const failures = records.filter((r) => engineVerdict(r.verdict, state.terms) === 'bad').length;
    const done = skip !== undefined || failures > 0 || records.length >= runs;
    if (!done) return { kind: 'test', ref: { commit, run: records.length, purpose } };
    const outcome = skip ? 'untestable' : (end === 'bad') === failures > 0 ? 'as-expected' : 'unexpected';
    results.push({ commit, end, outcome, runs: records.length, failures, ...(skip?.reason !== undefined ? { reason: skip.reason } : {}) });
    if (outcome !== 'as-expected') return { kind: 'failed', endpoints: results, error: endpointError(results.at(-1)!) };
  }
  return { kind: 'passed', endpoints: results };
}

function endpointError(r: EndpointResult): string {
  const off = 'or resubmit with the endpoint check off (options.checkEndpoints: false) to bisect anyway';
  if (r.outcome === 'untestable') return `endpoint check: the ${r.end} commit ${r.commit} cannot be tested (${r.reason ?? 'skip'}); choose another ${r.end} commit, ${off}`;
  if (r.end === 'good') {
    return `endpoint check: the reproducer fails at the good commit ${r.commit} (${r.failures} of ${r.runs} run(s) showed the bug): it detects an older bug, or that commit is not good. Choose another good commit or another reproducer mode, ${off}`;
  }
  return `endpoint check: the bad commit ${r.commit} does not reproduce (${r.runs} clean run(s)). Choose another bad commit or reproducer, ${off}`;
}
