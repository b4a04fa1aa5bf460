import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CappedOutput } from './capped-output.js';

const feed = (head: number, tail: number, chunks: readonly string[]): CappedOutput => {
  const out = new CappedOutput(head, tail);
  for (const c of chunks) out.push(Buffer.from(c));
  return out;
};

describe('CappedOutput', () => {
  it.each([
    { name: 'fits: everything, no marker', head: 4, tail: 4, chunks: ['abc', 'def'], text: 'abcdef', elided: 0 },
    { name: 'exactly head + tail: everything', head: 3, tail: 3, chunks: ['abcdef'], text: 'abcdef', elided: 0 },
    { name: 'one chunk over: head, marker, tail', head: 2, tail: 2, chunks: ['abcdefg'], text: 'ab\n[kbisect: 3 bytes of output elided here; the first 2 and the last 2 bytes are kept]\nfg', elided: 3 },
    { name: 'many small chunks: the tail is the last bytes', head: 1, tail: 3, chunks: ['a', 'b', 'c', 'd', 'e', 'f'], text: 'a\n[kbisect: 2 bytes of output elided here; the first 1 and the last 3 bytes are kept]\ndef', elided: 2 },
    { name: 'no tail budget: head only', head: 3, tail: 0, chunks: ['abcdef'], text: 'abc\n[kbisect: 3 bytes of output elided here; the first 3 and the last 0 bytes are kept]\n', elided: 3 },
  ])('$name', ({ head, tail, chunks, text, elided }) => {
    const out = feed(head, tail, chunks);
    expect(out.text()).toBe(text);
    expect(out.elidedBytes).toBe(elided);
    expect(out.totalBytes).toBe(chunks.join('').length);
  });

  it('always keeps the first head and the last tail bytes, and counts the rest', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n'), maxLength: 40 }), { maxLength: 30 }), fc.nat(50), fc.nat(50), (chunks, head, tail) => {
      const all = chunks.join('');
      const out = feed(head, tail, chunks);
      if (all.length <= head + tail) return out.text() === all && out.elidedBytes === 0;
      const text = out.text();
      return text.startsWith(all.slice(0, head)) && text.endsWith(all.slice(all.length - tail)) && out.elidedBytes === all.length - head - tail;
    }));
  });

  it('streams only the head to its sink, and the sink plus rest() is the text', () => {
    const streamed: Buffer[] = [];
    const out = new CappedOutput(5, 5, (c) => streamed.push(c));
    for (let i = 0; i < 100; i++) out.push(Buffer.from(`line ${i}\n`));
    expect(Buffer.concat(streamed).toString()).toBe('line ');
    expect(Buffer.concat(streamed).toString() + out.rest()).toBe(out.text());
    expect(out.text().endsWith(' 99\n')).toBe(true);
  });
});
