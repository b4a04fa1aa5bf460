import { describe, expect, it } from 'vitest';
import { untestableFlag } from './untestable-flag.js';

describe('--untestable (run and submit)', () => {
  it('takes the three modes and leaves an absent flag absent', () => {
    expect(['skip', 'force', 'narrow'].map((m) => untestableFlag('run', m))).toEqual(['skip', 'force', 'narrow']);
    expect(untestableFlag('submit', undefined)).toBeUndefined();
  });

  it('names the flag and the command for anything else', () => {
    expect(() => untestableFlag('submit', 'maybe')).toThrow(/^kbisect submit: --untestable: 'maybe' is not one of skip, force, narrow$/);
  });
});
