import { describe, expect, it } from 'vitest';
import { forcesRun, probesUntestable } from './untestable-mode.js';

describe('the untestable mode, one rule for kbisect run and the service', () => {
  it.each([
    ['skip', 'bisect', false],
    ['skip', 'narrow', true],
    ['force', 'bisect', true],
    ['force', 'verify-culprit', true],
    ['narrow', 'bisect', false],
    ['narrow', 'check-bad', false],
    ['narrow', 'narrow', true],
  ] as const)('%s mode forces a %s run: %s', (mode, purpose, forced) => {
    expect(forcesRun(mode, purpose)).toBe(forced);
  });

  it('probes Kconfig up front unless every commit is forced, and only with symbols to probe', () => {
    expect(probesUntestable('skip', ['CONFIG_X'])).toBe(true);
    expect(probesUntestable('narrow', ['CONFIG_X'])).toBe(true);
    expect(probesUntestable('force', ['CONFIG_X'])).toBe(false);
    expect(probesUntestable('skip', [])).toBe(false);
  });
});
