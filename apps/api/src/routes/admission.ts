import { randomUUID } from 'node:crypto';
import type { Principal, SubmissionQuota } from '@kbisect/service';
import { ApiError } from '../api-errors.js';

/** How long a client over its concurrency limit is told to wait: bisections end in minutes, not seconds. */
const CONCURRENCY_RETRY_SEC = 30;

/** Takes a place for a new bisection of the token, or throws the 429 that says why; returns the new bisection's id. */
export async function admit(quota: SubmissionQuota, principal: Principal, now: Date): Promise<string> {
  const id = randomUUID();
  const admitted = await quota.admit(principal.name, principal.limits, id, now.getTime());
  if (admitted.ok) return id;
  if (admitted.reason === 'rate') throw new ApiError('KBISECT_ERR_RATE_LIMITED', `token '${principal.name}' submitted ${admitted.count} bisections in the last minute, its limit`, undefined, admitted.retryAfterMs / 1000);
  throw new ApiError('KBISECT_ERR_TOO_MANY_BISECTIONS', `token '${principal.name}' has ${admitted.count} bisections queued or running, its limit; wait for one to end or cancel one`, undefined, CONCURRENCY_RETRY_SEC);
}
