import { describe, expect, it } from 'vitest';
import { descendantsOf, parseStat } from './kill-tree.js';

describe('reading the process tree', () => {
  it('finds the state and parent after a command name holding spaces and parentheses', () => {
    expect(parseStat('4242 (sleep) (x) y) S 4100 4242 4242 0 -1 4194560')).toEqual({ state: 'S', ppid: 4100 });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('collects every descendant, across generations, and nothing else', () => {
    const parentOf = new Map([[2, 1], [3, 2], [4, 3], [5, 1], [6, 99], [7, 4]]);
    expect(descendantsOf(2, parentOf).sort()).toEqual([3, 4, 7]);
    expect(descendantsOf(6, parentOf)).toEqual([]);
  });
});
