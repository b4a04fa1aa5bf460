import type { LogEvent } from './log-event.js';

type VerdictEvent = Extract<LogEvent, { type: 'verdict' }>;

/** How long a step's parts took, as far as its verdict event says: what the steps table shows. */
export interface StepTimings {
  /** The kernel build (or the artifact-cache lookup) in seconds; absent for a command probe. */
  readonly buildSeconds?: number;
  /** The lab test, power-off to power-off, in seconds; absent when nothing booted. */
  readonly bootSeconds?: number;
  /** The whole step as the worker timed it (build + boot, or the command's run). */
  readonly durationMs?: number;
}

/**
 * Reads the timings a worker recorded: a lab test's metrics carry
 * `buildSeconds` and `totalSeconds` (apps/worker lab-test-job.ts); a kernel
 * that did not build is a skip whose whole duration was the build (it has a
 * build log and no test output). Pure.
 */
export function stepTimingsOf(event: VerdictEvent): StepTimings {
  const m = event.metrics ?? {};
  const failedBuild = event.buildEvidence !== undefined && event.evidence === undefined && event.durationMs !== undefined;
  const buildSeconds = m.buildSeconds ?? (failedBuild ? event.durationMs! / 1000 : undefined);
  return {
    ...(buildSeconds !== undefined ? { buildSeconds } : {}),
    ...(m.totalSeconds !== undefined ? { bootSeconds: m.totalSeconds } : {}),
    ...(event.durationMs !== undefined ? { durationMs: event.durationMs } : {}),
  };
}
