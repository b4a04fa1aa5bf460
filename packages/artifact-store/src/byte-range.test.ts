import { describe, expect, it } from 'vitest';
import { parseRange } from './byte-range.js';

describe('parseRange', () => {
  it.each([
    ['no header', undefined, 100, { kind: 'whole' }],
    ['a closed range', 'bytes=0-9', 100, { kind: 'part', start: 0, end: 9 }],
    ['an open range', 'bytes=90-', 100, { kind: 'part', start: 90, end: 99 }],
    ['a suffix', 'bytes=-10', 100, { kind: 'part', start: 90, end: 99 }],
    ['a suffix longer than the file', 'bytes=-500', 100, { kind: 'part', start: 0, end: 99 }],
    ['an end past the file, clipped', 'bytes=50-1000', 100, { kind: 'part', start: 50, end: 99 }],
    ['a start past the file', 'bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['an end before the start', 'bytes=20-10', 100, { kind: 'unsatisfiable' }],
    ['a zero suffix', 'bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['several ranges: the whole file', 'bytes=0-1,5-6', 100, { kind: 'whole' }],
    ['another unit: the whole file', 'items=0-1', 100, { kind: 'whole' }],
    ['nonsense: the whole file', 'bytes=-', 100, { kind: 'whole' }],
  ] as const)('%s', (_name, header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
