import { describe, expect, it } from 'vitest';
import type { LogEvent } from './log-event.js';
import { stepTimingsOf } from './step-timings.js';

type VerdictEvent = Extract<LogEvent, { type: 'verdict' }>;
const base: VerdictEvent = { type: 'verdict', at: '2026-11-30T08:00:00.000Z', commit: 'a'.repeat(40), verdict: 'good', reason: 'exit 0', source: 'probe' };

describe('step timings from a verdict event', () => {
  it('reads a lab step: the build and the boot test from its metrics, the whole step from durationMs', () => {
    expect(stepTimingsOf({ ...base, durationMs: 61_000, evidence: 'console-a', buildEvidence: 'build-a', metrics: { buildSeconds: 42.5, totalSeconds: 18.5, pages: 512 } })).toEqual({ buildSeconds: 42.5, bootSeconds: 18.5, durationMs: 61_000 });
  });

  it('counts a kernel that did not build as all build: a build log, no test output', () => {
    expect(stepTimingsOf({ ...base, verdict: 'skip', reason: 'build: error', durationMs: 95_000, buildEvidence: 'build-a' })).toEqual({ buildSeconds: 95, durationMs: 95_000 });
  });

  it('gives a command probe only its run time, and an old event without timings nothing', () => {
    expect(stepTimingsOf({ ...base, durationMs: 1_250, evidence: 'output-a' })).toEqual({ durationMs: 1_250 });
    expect(stepTimingsOf(base)).toEqual({});
  });
});
