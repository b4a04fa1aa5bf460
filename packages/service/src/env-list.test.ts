import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitEnvList } from './env-list.js';

describe('splitEnvList', () => {
  it.each([
    { name: 'unset', value: undefined, separator: ',' as const, items: [] },
    { name: 'empty', value: '', separator: ',' as const, items: [] },
    { name: 'only separators and spaces', value: ' , ,, ', separator: ',' as const, items: [] },
    { name: 'one item', value: 'https', separator: ',' as const, items: ['https'] },
    { name: 'spaces around items trimmed', value: ' https , git,ssh ', separator: ',' as const, items: ['https', 'git', 'ssh'] },
    { name: 'trailing and doubled separators dropped', value: 'a,,b,', separator: ',' as const, items: ['a', 'b'] },
    { name: 'order and duplicates kept', value: 'b,a,b', separator: ',' as const, items: ['b', 'a', 'b'] },
    { name: 'colon lists of paths', value: '/srv/tftp::/etc/kbisect:', separator: ':' as const, items: ['/srv/tftp', '/etc/kbisect'] },
    { name: 'a comma inside a colon list is part of the item', value: '/a,b:/c', separator: ':' as const, items: ['/a,b', '/c'] },
    { name: 'items keep their inner colons (role:name:sha256 tokens)', value: 'admin:ops:ab12, build:ci:cd34', separator: ',' as const, items: ['admin:ops:ab12', 'build:ci:cd34'] },
  ])('$name', ({ value, separator, items }) => {
    expect(splitEnvList(value, separator)).toEqual(items);
  });

  it('defaults to commas', () => {
    expect(splitEnvList('x, y')).toEqual(['x', 'y']);
  });

  it('gives back exactly the non-blank items joined with the separator, trimmed', () => {
    const item = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '/', '.') }).filter((s) => !s.includes(','));
    fc.assert(fc.property(fc.array(item), (raw) => {
      const wanted = raw.map((s) => s.trim()).filter((s) => s !== '');
      expect(splitEnvList(raw.join(','))).toEqual(wanted);
    }));
  });
});
