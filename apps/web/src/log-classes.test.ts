import { describe, expect, it } from 'vitest';
import { classifyLine } from './log-classes.js';

describe('classifyLine', () => {
  it.each([
    ['[    1.2] Kernel panic - not syncing: VFS', 'console', 'mark'],
    ['[    3.4] Oops: 0000 [#1] SMP', 'console', 'mark'],
    ['[    5.0] BUG: unable to handle page fault', 'console', 'mark'],
    ['KBISECT-RESULT {"verdict":"bad"}', 'console', 'result'],
    ['[    0.1] Booting the kernel', 'console', undefined],
    ['mm/gup.c:12:3: error: implicit declaration of function', 'build', 'mark'],
    ['make[2]: *** [scripts/Makefile.build:250: mm/gup.o] Error 1', 'build', 'mark'],
    ['  CC      mm/gup.o', 'build', undefined],
  ] as const)('%s (%s) → %s', (line, kind, expected) => {
    expect(classifyLine(line, kind)).toBe(expected);
  });
});
