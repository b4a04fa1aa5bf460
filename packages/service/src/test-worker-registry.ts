import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * What a test worker's own settings let it run: `requests`, a request it can
 * vouch for (it holds the request key, or its operator accepts unsigned
 * kernel probes); `command`, command probes; `network`, command probes with
 * the network. A step needs every capability its probe asks for.
 */
export const TEST_WORKER_CAPABILITIES = ['requests', 'command', 'network'] as const;
export type TestWorkerCapability = (typeof TEST_WORKER_CAPABILITIES)[number];

const isCapability = (s: string): s is TestWorkerCapability => (TEST_WORKER_CAPABILITIES as readonly string[]).includes(s);

interface Entry {
  readonly slots: number;
  /** Absent: announced by a worker from before capabilities were announced; taken as able to run anything. */
  readonly capabilities?: ReadonlySet<TestWorkerCapability>;
}

/**
 * The live test workers, how many tests each runs at once and what each may
 * run: what a command probe's round may use (its "ready machines"), and
 * whether a step one worker refuses has another worker to wait for. Each
 * worker process announces itself with an expiry and renews it while it
 * runs, so a worker that died without withdrawing stops counting once its
 * entry expires.
 */
export class TestWorkerRegistry {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly now: () => number = Date.now) {}

  async announce(workerId: string, slots: number, ttlMs: number, capabilities: readonly TestWorkerCapability[]): Promise<void> {
    await this.redis.hset(this.keys.testWorkers, workerId, `${slots} ${this.now() + ttlMs} ${capabilities.length > 0 ? capabilities.join(',') : '-'}`);
  }

  async withdraw(workerId: string): Promise<void> {
    await this.redis.hdel(this.keys.testWorkers, workerId);
  }

  /** Test slots of the workers alive now; expired entries are removed on the way. */
  async liveSlots(): Promise<number> {
    let slots = 0;
    for (const entry of await this.live()) slots += entry.slots;
    return slots;
  }

  /** How many workers alive now have every capability in `needs`. */
  async liveCapable(needs: readonly TestWorkerCapability[]): Promise<number> {
    return (await this.live()).filter((e) => e.capabilities === undefined || needs.every((n) => e.capabilities!.has(n))).length;
  }

  private async live(): Promise<Entry[]> {
    const all = await this.redis.hgetall(this.keys.testWorkers);
    const live: Entry[] = [];
    const expired: string[] = [];
    for (const [id, value] of Object.entries(all)) {
      const [n, until, caps] = value.split(' ') as [string, string, string | undefined];
      const slots = Number(n);
      if (!(Number(until) > this.now() && Number.isInteger(slots) && slots > 0)) {
        expired.push(id);
        continue;
      }
      live.push(caps === undefined ? { slots } : { slots, capabilities: new Set(caps.split(',').filter(isCapability)) });
    }
    if (expired.length > 0) await this.redis.hdel(this.keys.testWorkers, ...expired);
    return live;
  }
}
