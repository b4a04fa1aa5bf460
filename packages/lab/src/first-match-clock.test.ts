import { describe, expect, it } from 'vitest';
import { FirstMatchClock } from './first-match-clock.js';

describe('FirstMatchClock', () => {
  it('stamps the chunk that completes the first match, even split across chunks, and keeps that stamp', () => {
    let t = 1000;
    const clock = new FirstMatchClock(/KBISECT-RESULT \{/, 64, () => t);
    clock.feed('booting...\nKBISECT-RES');
    expect(clock.at).toBeUndefined();
    t = 1500;
    clock.feed('ULT {"verdict":"good"}\n');
    expect(clock.at).toBe(1500);
    t = 2000;
    clock.feed('KBISECT-RESULT {"verdict":"bad"}\n');
    expect(clock.at).toBe(1500);
  });

  it('forgets text beyond its reach, so a long console costs no more than its tail', () => {
    const clock = new FirstMatchClock(/AB/, 4, () => 7);
    clock.feed('A');
    for (let i = 0; i < 10; i++) clock.feed('xxxxxxxx');
    clock.feed('B');
    expect(clock.at).toBeUndefined();
    clock.feed('AB');
    expect(clock.at).toBe(7);
  });
});
