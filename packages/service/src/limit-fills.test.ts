import { describe, expect, it } from 'vitest';
import type { BisectionRequest } from './request-schema.js';
import { withoutLimitFills } from './limit-fills.js';

const sha = 'a'.repeat(40);
const command: BisectionRequest = { repo: 'linux', good: [sha], bad: 'v2', probe: { type: 'command', command: 'make check', timeoutSec: 600 }, options: { policy: 'bayes', maxRuns: 40, confidence: 0.9 } };
const kernel: BisectionRequest = { repo: 'linux', good: [sha], bad: 'v2', probe: { type: 'kernel', configFragments: ['qemu-x86_64'], pool: 'virtual', reproducer: { name: 'boot', args: ['-v'], timeoutSec: 600 } } };

describe('withoutLimitFills', () => {
  it('leaves out exactly the fields named, and nothing else', () => {
    expect(withoutLimitFills(command, ['probe.timeoutSec', 'options.maxRuns'])).toEqual({ ...command, probe: { type: 'command', command: 'make check' }, options: { policy: 'bayes', confidence: 0.9 } });
    expect(withoutLimitFills(command, ['options.maxRuns']).probe).toEqual(command.probe);
    expect(withoutLimitFills(kernel, ['probe.reproducer.timeoutSec'])).toEqual({ ...kernel, probe: { ...kernel.probe, reproducer: { name: 'boot', args: ['-v'] } } });
  });

  it('returns the request unchanged with no fills, or a fill of the other probe kind', () => {
    expect(withoutLimitFills(command, [])).toBe(command);
    expect(withoutLimitFills(kernel, ['probe.timeoutSec'])).toBe(kernel);
    expect(withoutLimitFills(command, ['probe.reproducer.timeoutSec'])).toBe(command);
  });
});
