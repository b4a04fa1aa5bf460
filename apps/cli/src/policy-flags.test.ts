import { describe, expect, it } from 'vitest';
import { policyFromOptions } from '@kbisect/service/driver';
import { policyOptionsFrom } from './policy-flags.js';

describe('policy flags (run and submit)', () => {
  it('turn into the request options the service takes, and the same policy for both', () => {
    const options = policyOptionsFrom('submit', { policy: 'bayes', confidence: '0.95', 'max-runs': '80', detection: '0.5', 'false-positive': '0.02' });
    expect(options).toEqual({ policy: 'bayes', confidence: 0.95, maxRuns: 80, detection: 0.5, falsePositive: 0.02 });
    expect(policyFromOptions(options)).toEqual({ kind: 'bayes', confidence: 0.95, maxRuns: 80, detection: 0.5, falsePositive: 0.02 });
    expect(policyOptionsFrom('run', { policy: 'repeat', 'bad-after': '2', 'good-after': '5', fix: true })).toEqual({ policy: 'repeat', badAfter: 2, goodAfter: 5, terms: 'fix' });
    expect(policyOptionsFrom('run', {})).toEqual({});
  });

  it.each([
    [{ policy: 'bayes', 'false-positive': '0.7' }, /^kbisect run: --false-positive must be in \[0, 0\.5\)$/],
    [{ policy: 'bayes', 'max-runs': '1.5' }, /^kbisect run: --max-runs must be an integer/],
    [{ policy: 'repeat', 'good-after': 'ten' }, /^kbisect run: --good-after: 'ten' is not a number$/],
    [{ policy: 'sometimes' }, /^kbisect run: --policy: 'sometimes' is not one of deterministic, repeat, bayes$/],
    [{ 'false-positive': '0.1' }, /^kbisect run: --false-positive needs --policy bayes$/],
  ])('names the flag: %o', (values, message) => {
    expect(() => policyOptionsFrom('run', values)).toThrow(message);
  });
});
