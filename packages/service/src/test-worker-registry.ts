import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * The live test workers and how many tests each runs at once: what a
 * command probe's round may use (its "ready machines"). Each worker process
 * announces itself with an expiry and renews it while it runs, so a worker
 * that died without withdrawing stops counting once its entry expires.
 */
export class TestWorkerRegistry {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly now: () => number = Date.now) {}

  async announce(workerId: string, slots: number, ttlMs: number): Promise<void> {
    await this.redis.hset(this.keys.testWorkers, workerId, `${slots} ${this.now() + ttlMs}`);
  }

  async withdraw(workerId: string): Promise<void> {
    await this.redis.hdel(this.keys.testWorkers, workerId);
  }

  /** Test slots of the workers alive now; expired entries are removed on the way. */
  async liveSlots(): Promise<number> {
    const all = await this.redis.hgetall(this.keys.testWorkers);
    let slots = 0;
    const expired: string[] = [];
    for (const [id, value] of Object.entries(all)) {
      const [n, until] = value.split(' ').map(Number) as [number, number];
      if (Number.isFinite(until) && until > this.now() && Number.isInteger(n) && n > 0) slots += n;
      else expired.push(id);
    }
    if (expired.length > 0) await this.redis.hdel(this.keys.testWorkers, ...expired);
    return slots;
  }
}
