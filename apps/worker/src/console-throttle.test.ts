import { describe, expect, it } from 'vitest';
import { ConsoleThrottle } from './console-throttle.js';

describe('streaming the console into progress events', () => {
  it('sends complete lines, at most one batch per interval', () => {
    const t = new ConsoleThrottle({ intervalMs: 1000 });
    expect(t.push('Linux version 6.1', 0)).toBeUndefined();
    expect(t.push(' (gcc)\r\nKBISECT-INIT', 10)).toEqual(['Linux version 6.1 (gcc)']);
    expect(t.push('-START\n', 500)).toBeUndefined();
    expect(t.push('', 1100)).toEqual(['KBISECT-INIT-START']);
  });

  it('sends what waited once the interval passed', () => {
    const t = new ConsoleThrottle({ intervalMs: 1000 });
    expect(t.push('a\n', 0)).toEqual(['a']);
    expect(t.push('b\n', 400)).toBeUndefined();
    expect(t.push('c\n', 1200)).toEqual(['b', 'c']);
  });

  it('caps a flood, says how much it left out, and strips terminal escapes', () => {
    const t = new ConsoleThrottle({ intervalMs: 1000, maxLines: 3, maxLineLength: 10 });
    t.push('\x1b[0;1miPXE\x1b[0m ok\n', 0);
    const flood = Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n') + '\ntail';
    expect(t.push(flood, 100)).toBeUndefined();
    expect(t.flush(200)).toEqual(['line 0 xxx', 'line 1 xxx', 'line 2 xxx', '… 8 more line(s) not streamed; the whole console log is in the evidence']);
    expect(t.flush(300)).toBeUndefined();
  });
});
