import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Upper bounds (seconds) of the step-duration histogram exposed on /metrics. */
export const STEP_BUCKETS = [1, 5, 15, 60, 300, 900, 3600] as const;

/** Records one finished step in a Redis hash, so every worker host feeds the same histogram. */
export async function recordStepDuration(redis: Redis, keys: Keys, seconds: number, verdict: string): Promise<void> {
  const m = redis.multi();
  for (const b of STEP_BUCKETS) if (seconds <= b) m.hincrby(keys.metrics, `bucket:${b}`, 1);
  m.hincrby(keys.metrics, 'bucket:+Inf', 1);
  m.hincrbyfloat(keys.metrics, 'sum', seconds);
  m.hincrby(keys.metrics, 'count', 1);
  m.hincrby(keys.metrics, `verdict:${verdict}`, 1);
  await m.exec();
}

export async function readStepMetrics(redis: Redis, keys: Keys): Promise<Record<string, string>> {
  return redis.hgetall(keys.metrics);
}
