import { describe, expect, it } from 'vitest';
import { commitByPrefix } from './commit-prefix.js';

const commits = ['abcd1234'.padEnd(40, '0'), 'abcd5678'.padEnd(40, '1'), 'ef01'.padEnd(40, '2')];

describe('commitByPrefix', () => {
  it('finds the one commit a prefix names, whatever its case', () => {
    expect(commitByPrefix(commits, 'abcd12', 'COMMIT')).toBe(commits[0]);
    expect(commitByPrefix(commits, 'EF01', 'COMMIT')).toBe(commits[2]);
    expect(commitByPrefix(commits, commits[1]!, 'COMMIT')).toBe(commits[1]);
  });

  it.each([
    ['abcd', "COMMIT: abcd is ambiguous in the bisection's range (abcd12340000, abcd56781111)"],
    ['beef', "COMMIT: no commit of the bisection's range starts with beef (a good end is not in the range: give its full sha)"],
    ['abc', "COMMIT: 'abc' is not a commit sha or a prefix of one (4 to 40 hex digits)"],
    ['HEAD~1', "COMMIT: 'HEAD~1' is not a commit sha or a prefix of one (4 to 40 hex digits)"],
  ])('refuses %j naming the argument', (given, message) => {
    expect(() => commitByPrefix(commits, given, 'COMMIT')).toThrow(message);
  });
});
