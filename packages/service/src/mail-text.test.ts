import { describe, expect, it } from 'vitest';
import { encodeHeaderText, foldHeader, formatAddress, parseAddress } from './mail-address.js';
import { mailSafe, wrapLine, wrapText } from './mail-text.js';

describe('mail text', () => {
  it('wraps at 72 columns, keeps a long token whole and the indent on continuation lines', () => {
    const url = `https://kbisect.example.org/api/v1/bisections/${'0'.repeat(36)}/log`;
    const lines = wrapLine(`  git bisect log: ${url} and then some more words to wrap here`, 72, '  ');
    expect(lines).toEqual(['  git bisect log:', `    ${url}`, '    and then some more words to wrap here']);
  });

  it('keeps tabs (measured as 8 columns) and trailer lines as they are', () => {
    expect(wrapText('\tshort\tline')).toBe('\tshort\tline');
    const fixes = `Fixes: 4c3be9dae896 ("${'x'.repeat(80)}")`;
    expect(wrapText(fixes)).toBe(fixes);
    expect(wrapLine(`\t\t\t\t\t\t${'y '.repeat(20)}`.trimEnd(), 72)[0]).toMatch(/^\t{6}y/);
  });

  it('drops terminal control characters but not newlines or tabs', () => {
    expect(mailSafe('a\u001b[31mred\u001b[0m\u0007\u009b\tb\nc\r')).toBe('a[31mred[0m\tb\nc');
  });

  it('encodes non-ASCII header text as RFC 2047 words that decode back, and folds long headers', () => {
    const text = 'Jérôme Glisse – ünïcödé '.repeat(4).trim();
    const encoded = encodeHeaderText(text);
    const words = encoded.split(' ');
    for (const w of words) expect(w).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    expect(words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).join('')).toBe(text);
    for (const line of foldHeader('Subject', encoded).split('\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(encodeHeaderText('plain ASCII')).toBe('plain ASCII');
  });

  it('parses and formats addresses, quoting names with specials', () => {
    expect(parseAddress('"Kirill A. Shutemov" <kirill@example.org>', 'to')).toEqual({ name: 'Kirill A. Shutemov', email: 'kirill@example.org' });
    expect(formatAddress({ name: 'Kirill A. Shutemov', email: 'kirill@example.org' })).toBe('"Kirill A. Shutemov" <kirill@example.org>');
    expect(formatAddress({ name: 'Zoë', email: 'z@example.org' })).toBe('=?UTF-8?B?Wm/Dqw==?= <z@example.org>');
    expect(() => parseAddress('a@b.org>, evil@x.org', 'cc')).toThrow(/^cc: /);
  });
});
