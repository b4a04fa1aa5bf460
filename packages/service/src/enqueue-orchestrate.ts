import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { jobIds } from './queues.js';

export const KEEP_JOBS = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } } as const;

/** Enqueues an orchestration pass; the id carries the log length, so one pass runs per new event. */
export async function enqueueOrchestrate(queue: Queue, redis: Redis, keys: Keys, bisectionId: string): Promise<void> {
  const length = await redis.xlen(keys.log(bisectionId));
  await queue.add('orchestrate', { bisectionId }, { jobId: jobIds.orchestrate(bisectionId, length), attempts: 5, backoff: { type: 'exponential', delay: 1000 }, ...KEEP_JOBS });
}

/**
 * Wakes a bisection whose log did not move: it waited for another
 * bisection's test of the same run (shared results), which just landed.
 * The pass is idempotent, so a distinct job id costs at most a pass.
 */
export async function wakeOrchestrate(queue: Queue, redis: Redis, keys: Keys, bisectionId: string, why: string): Promise<void> {
  const length = await redis.xlen(keys.log(bisectionId));
  await queue.add('orchestrate', { bisectionId }, { jobId: `${jobIds.orchestrate(bisectionId, length)}-${why}-${Date.now()}`, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, ...KEEP_JOBS });
}

/**
 * Orchestrates a bisection again after `delayMs`, whether or not its log
 * moved: a bisection waiting for another's test of a shared run looks again
 * (the holder may have gone without letting go). One job per bisection and
 * period, however many passes asked.
 */
export async function recheckOrchestrate(queue: Queue, redis: Redis, keys: Keys, bisectionId: string, delayMs: number): Promise<void> {
  const length = await redis.xlen(keys.log(bisectionId));
  await queue.add('orchestrate', { bisectionId }, { jobId: `${jobIds.orchestrate(bisectionId, length)}-recheck-${Math.floor(Date.now() / delayMs)}`, delay: delayMs, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, ...KEEP_JOBS });
}
