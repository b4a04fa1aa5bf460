import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_LIMITS, TokenLimitsError, tokenLimitsFromEnv } from './token-limits.js';
import { hashToken, TokenConfigError, TokenRegistry } from './token-registry.js';

describe('per-token limits', () => {
  it("take the deployment's KBISECT_LIMIT_* defaults, each token's own limits over them", () => {
    const defaults = tokenLimitsFromEnv({ KBISECT_LIMIT_RANGE_COMMITS: '100000', KBISECT_LIMIT_SSE_PER_TOKEN: '5' });
    expect(defaults).toEqual({ ...DEFAULT_TOKEN_LIMITS, maxRangeCommits: 100_000, sseStreams: 5 });
    const registry = TokenRegistry.parse(JSON.stringify({ tokens: [
      { name: 'ci', role: 'submit', sha256: hashToken('a'), limits: { concurrentBisections: 2 } },
      { name: 'bob', role: 'read', sha256: hashToken('b') },
    ] }), 'tokens.json', defaults);
    expect(registry.lookup('a')?.limits).toEqual({ ...defaults, concurrentBisections: 2 });
    expect(registry.lookup('b')?.limits).toEqual(defaults);
  });

  const badEnv: [string, string][] = [['KBISECT_LIMIT_MAX_RUNS', '0'], ['KBISECT_LIMIT_TIMEOUT_SEC', 'ten'], ['KBISECT_LIMIT_CONCURRENT_BISECTIONS', '1.5']];
  for (const [name, value] of badEnv) {
    it(`refuses ${name}=${value} at startup, naming the variable`, () => {
      expect(() => tokenLimitsFromEnv({ [name]: value })).toThrow(TokenLimitsError);
      expect(() => tokenLimitsFromEnv({ [name]: value })).toThrow(new RegExp(`^${name}: '${value}' is not a whole number`));
    });
  }

  it('refuses a token file whose limits are unknown or out of range, naming the field', () => {
    const file = (limits: unknown) => JSON.stringify({ tokens: [{ name: 'ci', role: 'submit', sha256: hashToken('a'), limits }] });
    expect(() => TokenRegistry.parse(file({ maxRuns: -1 }), 'tokens.json')).toThrow(/^tokens\.json: \/tokens\/0\/limits\/maxRuns/);
    expect(() => TokenRegistry.parse(file({ runs: 5 }), 'tokens.json')).toThrow(/^tokens\.json: \/tokens\/0\/limits/);
  });

  it('refuses two tokens with one name: limits are counted by name', () => {
    expect(() => new TokenRegistry({ tokens: [{ name: 'ci', role: 'submit', sha256: hashToken('a') }, { name: 'ci', role: 'read', sha256: hashToken('b') }] })).toThrow(TokenConfigError);
  });
});
