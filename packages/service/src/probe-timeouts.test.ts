import { describe, expect, it } from 'vitest';
import { appliedTimeoutSec } from './probe-timeouts.js';

const command = (timeoutSec?: number) => ({ repo: 'linux', good: ['v1'], bad: 'v2', probe: { type: 'command' as const, command: 'make check', ...(timeoutSec !== undefined ? { timeoutSec } : {}) } });
const kernel = (timeoutSec?: number) => ({ repo: 'linux', good: ['v1'], bad: 'v2', probe: { type: 'kernel' as const, configFragments: [], pool: 'lab', reproducer: { name: 'boot', ...(timeoutSec !== undefined ? { timeoutSec } : {}) } } });

describe("a probe's applied timeout", () => {
  it.each([
    ['named, no cap', command(120), undefined, 3600, 120],
    ["the worker's default, no cap (an older grant)", command(), undefined, 7200, 7200],
    ["the worker's default above the signed cap", command(), { maxTimeoutSec: 5000 }, 7200, 5000],
    ["the worker's default below the cap", command(), { maxTimeoutSec: 5000 }, 3600, 3600],
    ['named above the cap (written into Redis)', command(9000), { maxTimeoutSec: 5000 }, 3600, 5000],
    ["a reproducer's deadline under the cap", kernel(), { maxTimeoutSec: 300 }, 900, 300],
    ["a reproducer's named deadline", kernel(60), { maxTimeoutSec: 300 }, 900, 60],
  ])('%s', (_name, request, grant, workerDefault, applied) => {
    expect(appliedTimeoutSec(request, grant, workerDefault)).toBe(applied);
  });
});
