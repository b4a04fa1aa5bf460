import type { BisectState } from '@kbisect/bisect';
import type { BisectionFold } from '@kbisect/service';

/**
 * The engine's endpoint-check error knows nothing of the shared cache: when
 * the end that failed was answered by another bisection's test, the useful
 * advice is to test it here (`reuse: false`), not to turn the check off.
 * `error` (the engine's) unchanged otherwise. Pure.
 */
export function withEndpointReuseHint(state: BisectState, error: string, fold: Pick<BisectionFold, 'runs'>): string {
  const failed = state.endpoints?.find((e) => e.outcome !== 'as-expected');
  if (state.status !== 'failed' || failed === undefined) return error;
  const purpose = failed.end === 'bad' ? 'check-bad' : 'check-good';
  const reused = Object.values(fold.runs).find((v) => v.commit === failed.commit && v.purpose === purpose && v.reused !== undefined)?.reused;
  if (reused === undefined) return error;
  return `${error}. That end's verdict was reused from bisection ${reused.bisection} (shared results): resubmit with reuse: false (submit --no-reuse) to test it here, or mark that bisection's result invalid`;
}
