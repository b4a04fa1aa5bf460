import { describe, expect, it } from 'vitest';
import { type Policy, type RunRef } from '@kbisect/bisect';
import { sharedSlot } from './shared-slot.js';

const fp = 'f'.repeat(32);
const commit = 'c'.repeat(40);
const culprit = 'e'.repeat(40);
const repeat: Policy = { kind: 'repeat', badAfter: 1, goodAfter: 3 };
const bayes: Policy = { kind: 'bayes', confidence: 0.99, maxRuns: 300, falsePositive: 0 };

describe('which runs meet the shared verdict cache, and in which slot', () => {
  it.each([
    { name: 'a bisect step: its commit, its run', ref: { commit, purpose: 'bisect', run: 2 }, policy: undefined, slot: { fingerprint: fp, commit, run: 2 } },
    { name: 'a flaky bisect step: run r as data', ref: { commit, purpose: 'bisect', run: 1 }, policy: repeat, slot: { fingerprint: fp, commit, run: 1 } },
    { name: 'a deterministic bad-end check: the same slot as a bisect step of that commit', ref: { commit, purpose: 'check-bad', run: 0 }, policy: undefined, slot: { fingerprint: fp, commit, run: 0 } },
    { name: 'a deterministic good-end check', ref: { commit, purpose: 'check-good', run: 0 }, policy: { kind: 'deterministic' } as Policy, slot: { fingerprint: fp, commit, run: 0 } },
    { name: 'a deterministic verification of the parent', ref: { commit, purpose: 'verify-parent', run: 0 }, policy: undefined, slot: { fingerprint: fp, commit, run: 0 } },
    { name: 'a deterministic verification of the culprit', ref: { commit, purpose: 'verify-culprit', run: 0 }, policy: undefined, slot: { fingerprint: fp, commit, run: 0 } },
    { name: 'a deterministic verification of the bad end as is', ref: { commit, purpose: 'verify-bad', run: 0 }, policy: undefined, slot: { fingerprint: fp, commit, run: 0 } },
    { name: 'a deterministic revert check: the commit with that revert, a kernel of its own', ref: { commit, purpose: 'verify-revert', run: 0, revert: culprit }, policy: undefined, slot: { fingerprint: fp, commit, run: 0, revert: culprit } },
    { name: 'a flaky bad-end check: its own (never one cached run)', ref: { commit, purpose: 'check-bad', run: 0 }, policy: repeat, slot: undefined },
    { name: 'a flaky good-end check: its own', ref: { commit, purpose: 'check-good', run: 3 }, policy: bayes, slot: undefined },
    { name: 'a flaky verification of the parent: its own (no run counted in two roles)', ref: { commit, purpose: 'verify-parent', run: 0 }, policy: bayes, slot: undefined },
    { name: 'a flaky revert check: its own', ref: { commit, purpose: 'verify-revert', run: 0, revert: culprit }, policy: repeat, slot: undefined },
    { name: 'a calibration run: its own', ref: { commit, purpose: 'calibrate', run: 0 }, policy: bayes, slot: undefined },
    { name: 'a forced narrowing run: another kernel than the fingerprint names', ref: { commit, purpose: 'narrow', run: 0 }, policy: undefined, slot: undefined },
    { name: 'a revert check without its revert (malformed): its own', ref: { commit, purpose: 'verify-revert', run: 0 }, policy: undefined, slot: undefined },
    { name: 'a bisect step with a revert (malformed): its own', ref: { commit, purpose: 'bisect', run: 0, revert: culprit }, policy: undefined, slot: undefined },
  ] satisfies { name: string; ref: RunRef; policy: Policy | undefined; slot: unknown }[])('$name', ({ ref, policy, slot }) => {
    expect(sharedSlot(ref, fp, policy)).toEqual(slot);
  });
});
