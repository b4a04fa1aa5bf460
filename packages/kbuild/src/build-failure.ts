import type { MakeRun } from './kernel-make.js';

export type BuildFailure =
  | { readonly kind: 'compile-error'; readonly reason: string }
  | { readonly kind: 'infra'; readonly reason: string };

/**
 * Tells a commit that does not compile (a `skip`, with the first compiler
 * error as the reason) from a machine that failed (retried, never a verdict).
 */
export function classifyBuildFailure(run: MakeRun): BuildFailure {
  const out = run.output;
  if (run.timedOut) return { kind: 'infra', reason: 'build timed out' };
  if (/No space left on device/.test(out)) return { kind: 'infra', reason: 'disk full' };
  if (/Killed signal terminated program|virtual memory exhausted|Cannot allocate memory|out of memory/i.test(out)) return { kind: 'infra', reason: 'out of memory' };
  if (run.signal) return { kind: 'infra', reason: `make killed by ${run.signal}` };
  const firstError = out.split('\n').find((l) => /(^|\s)error:|: fatal error:|undefined reference to/.test(l));
  if (firstError) return { kind: 'compile-error', reason: `build failed: ${firstError.trim().slice(0, 300)}` };
  return { kind: 'infra', reason: `make exited with ${run.exitCode ?? 'no code'} and no compiler error` };
}
