import { describe, expect, it } from 'vitest';
import { lineCountText, linesOfText } from './log-lines.js';

describe('a stored log\'s lines', () => {
  it.each([
    ['', []],
    ['\n', ['']],
    ['one', ['one']],
    ['one\n', ['one']],
    ['one\ntwo\n', ['one', 'two']],
    ['one\n\nthree', ['one', '', 'three']],
  ])('%j has the lines %j', (text, lines) => {
    expect(linesOfText(text)).toEqual(lines);
  });

  it('counts them in words', () => {
    expect([0, 1, 2, 12].map((n) => lineCountText(n))).toEqual(['empty', '1 line', '2 lines', '12 lines']);
  });
});
