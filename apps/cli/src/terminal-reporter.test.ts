import { describe, expect, it } from 'vitest';
import { terminalReporter } from './terminal-reporter.js';

describe('terminalReporter', () => {
  it('says what each step tests in git\'s words, singular where one is left', () => {
    const lines: string[] = [];
    const r = terminalReporter((l) => lines.push(l));
    r.stepStarted(3, 'a'.repeat(40), 'mm: fix it', { candidatesLeft: 2, testableLeft: 1, stepsLeft: 1, tested: 2 });
    r.stepStarted(4, 'b'.repeat(40), undefined, { candidatesLeft: 1, testableLeft: 1, stepsLeft: 0, tested: 3 });
    expect(lines).toEqual([
      '[step 3] testing aaaaaaaaaaaa "mm: fix it": 2 candidates left (1 testable), roughly 1 step after this',
      '[step 4] testing bbbbbbbbbbbb: 1 candidate left (1 testable), roughly 0 steps after this',
    ]);
  });
});
