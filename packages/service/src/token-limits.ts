import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Count = (description: string, max: number) => Type.Integer({ minimum: 1, maximum: max, description });

/**
 * What one token may take of a shared deployment. Every field is optional in
 * a token file entry; a missing one falls back to the deployment's default.
 */
export const TokenLimitsSchema = Type.Object(
  {
    concurrentBisections: Count('Bisections queued or running at once', 1_000_000),
    submissionsPerMinute: Count('POST /bisections per rolling minute (429 with Retry-After above it)', 1_000_000),
    maxRangeCommits: Count('Commits between good and bad; a larger range ends failed with its count', 10_000_000),
    maxRuns: Count('Cap on options.maxRuns and on every run budget of the bisection', 100_000),
    maxTimeoutSec: Count("Cap on a probe's timeoutSec (command) or reproducer.timeoutSec (kernel)", 86_400),
    sseStreams: Count('Event streams open at once', 100_000),
  },
  { additionalProperties: false },
);
export type TokenLimits = Static<typeof TokenLimitsSchema>;
export const TokenLimitOverridesSchema = Type.Partial(TokenLimitsSchema, { additionalProperties: false });
export type TokenLimitOverrides = Static<typeof TokenLimitOverridesSchema>;

/** @defaultValue for each limit when neither the token file nor the environment sets it. */
export const DEFAULT_TOKEN_LIMITS: TokenLimits = {
  concurrentBisections: 20,
  submissionsPerMinute: 30,
  maxRangeCommits: 250_000,
  maxRuns: 1000,
  maxTimeoutSec: 7200,
  sseStreams: 50,
};

const ENV: Record<keyof TokenLimits, string> = {
  concurrentBisections: 'KBISECT_LIMIT_CONCURRENT_BISECTIONS',
  submissionsPerMinute: 'KBISECT_LIMIT_SUBMISSIONS_PER_MINUTE',
  maxRangeCommits: 'KBISECT_LIMIT_RANGE_COMMITS',
  maxRuns: 'KBISECT_LIMIT_MAX_RUNS',
  maxTimeoutSec: 'KBISECT_LIMIT_TIMEOUT_SEC',
  sseStreams: 'KBISECT_LIMIT_SSE_PER_TOKEN',
};

export class TokenLimitsError extends Error {
  readonly code = 'KBISECT_ERR_TOKEN_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'TokenLimitsError';
  }
}

/** The deployment's defaults: KBISECT_LIMIT_* over the built-in ones, validated at startup. */
export function tokenLimitsFromEnv(env: NodeJS.ProcessEnv): TokenLimits {
  const limits: Record<string, unknown> = { ...DEFAULT_TOKEN_LIMITS };
  for (const [field, name] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    limits[field] = Number(raw);
    if (!Value.Check(TokenLimitsSchema.properties[field as keyof TokenLimits], limits[field])) {
      throw new TokenLimitsError(`${name}: '${raw}' is not a whole number in ${TokenLimitsSchema.properties[field as keyof TokenLimits].minimum}..${TokenLimitsSchema.properties[field as keyof TokenLimits].maximum}`);
    }
  }
  return limits as TokenLimits;
}
