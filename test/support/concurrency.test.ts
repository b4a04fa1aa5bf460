import { describe, expect, it } from 'vitest';
import { maxConcurrent } from './concurrency.js';

describe('maxConcurrent', () => {
  it('counts overlapping runs from their start and end lines', () => {
    expect(maxConcurrent(['start 10 a', 'start 20 b', 'end 30 a', 'start 40 c', 'end 50 b', 'end 60 c'])).toBe(2);
    // An end and a start in one millisecond may have come in either order: the end goes first.
    expect(maxConcurrent(['start 10 a', 'end 20 a', 'start 20 b', 'end 30 b'])).toBe(1);
  });

  it('counts a run stopped before its end line until its last line, at or after the starts logged before it', () => {
    // c was released once a, b and c had started (one millisecond), then killed as moot.
    const mooted = ['start 10 a', 'start 12 b', 'start 15 c', 'released 15 c', 'released 16 a', 'released 16 b', 'end 420 a', 'end 430 b'];
    expect(maxConcurrent(mooted)).toBe(3);
    // The old reading counted only runs with an end line, as if c had never run: 2.
    expect(maxConcurrent(mooted.filter((l) => !l.endsWith(' c')))).toBe(2);
  });

  it('does not count a run with a start line alone', () => {
    expect(maxConcurrent(['start 10 a', 'start 12 b', 'end 20 a'])).toBe(1);
  });
});
