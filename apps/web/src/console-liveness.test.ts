import { describe, expect, it } from 'vitest';
import { consoleLiveness, consoleTitle, type LivenessView } from './console-liveness.js';

const a = 'a'.repeat(40);
const b = 'b'.repeat(40);
const verdict = (commit: string) => ({ commit, verdict: 'good' as const, reason: 'test reported good', source: 'probe' });
const running: LivenessView = { status: 'running', verdicts: [] };

describe('consoleLiveness', () => {
  it.each<[string, LivenessView | undefined, string, string]>([
    ['no view yet', undefined, a, 'live'],
    ['the commit the engine tests now', { ...running, current: { commit: a, progress: { candidatesLeft: 5, testableLeft: 5, stepsLeft: 2, tested: 1 } } }, a, 'live'],
    ['a run in flight (multisection)', { ...running, inFlight: [{ commit: a }, { commit: b }] }, b, 'live'],
    ['a commit the view knows nothing of yet (its step-started not drawn)', running, a, 'live'],
    ['a commit with a verdict and no run now', { ...running, verdicts: [verdict(a)], inFlight: [{ commit: b }] }, a, 'step-ended'],
    ['a commit with a verdict tested again (a flaky policy)', { ...running, verdicts: [verdict(a)], inFlight: [{ commit: a, run: 1 }] }, a, 'live'],
    ['a finished bisection, even a commit without a verdict', { status: 'found', finishedAt: '2026-11-30T00:00:00.000Z', verdicts: [verdict(a)] }, b, 'bisection-ended'],
    ['a cancelled one whose finished event is not drawn yet, nothing in flight', { status: 'cancelled', verdicts: [] }, a, 'bisection-ended'],
    ['a found one still verifying (a run in flight)', { status: 'found', verdicts: [verdict(a)], inFlight: [{ commit: b, purpose: 'verify-culprit' }] }, b, 'live'],
  ])('%s → %s', (_name, view, commit, expected) => {
    expect(consoleLiveness(view, commit)).toBe(expected);
  });

  it('titles a live console live, and an ended one by what ended', () => {
    expect(consoleTitle('aaaaaaaaaaaa', 'live')).toBe('Console of aaaaaaaaaaaa, live');
    expect(consoleTitle('aaaaaaaaaaaa', 'step-ended')).toMatch(/^Console of aaaaaaaaaaaa, as streamed \(the step has ended/);
    expect(consoleTitle('aaaaaaaaaaaa', 'bisection-ended')).toMatch(/\(the bisection has ended/);
    expect(consoleTitle('aaaaaaaaaaaa', 'bisection-ended')).not.toMatch(/live/);
  });
});
