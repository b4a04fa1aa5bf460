import { describe, expect, it } from 'vitest';
import { screenLine } from './screen-line.js';

describe('screenLine', () => {
  it.each([
    ['a plain line, its CR dropped', '[    0.000000] Linux version 6.1.0\r', '[    0.000000] Linux version 6.1.0'],
    ["iPXE's percentages rubbed out with backspaces", 'http://10.0.2.2:8080/boot/t/vmlinuz... 17%\b\b\b\b    \b\b\b\b 83%\b\b\b\b    \b\b\b\b ok\r', 'http://10.0.2.2:8080/boot/t/vmlinuz... ok'],
    ["iPXE's screen reset and clear before the next banner", '\x1bc\x1b[?7l\x1b[2JSeaBIOS (version 1.16.2)\r', 'SeaBIOS (version 1.16.2)'],
    ['a colour and a window title', '\x1b[1;31merror\x1b[0m: \x1b]0;title\x07done', 'error: done'],
    ['a carriage return mid-line overwrites from the start', 'Loading 10%\rLoading 100%', 'Loading 100%'],
    ['a tab stays, a bell goes', 'a\tb\x07c', 'a\tbc'],
    ['an empty line', '', ''],
  ])('%s', (_what, raw, shown) => {
    expect(screenLine(raw)).toBe(shown);
  });

  it('leaves a line without control characters the same string', () => {
    const line = 'KBISECT-RESULT {"verdict":"bad","mismatches":3}';
    expect(screenLine(line)).toBe(line);
  });
});
