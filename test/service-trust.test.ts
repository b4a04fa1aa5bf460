/**
 * What workers re-check for themselves, against real Redis, real git and the
 * real worker: a command-probe bisection written straight into Redis (the
 * "Redis neighbour" of issue 15) is refused with a reason and runs nothing,
 * a worker without the request key refuses even a kernel probe unless its
 * operator opted out, and a range over the token's cap ends failed with its
 * count.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, seededRandom } from '@kbisect/bisect/testing';
import { BisectionStore, connectRedis, enqueueOrchestrate, queueNames, type BisectionRequest } from '@kbisect/service';
import { gitOpener, startWorkers, workerConfigFromEnv } from '@kbisect/worker';
import { Queue } from 'bullmq';
import { execa } from 'execa';
import { pino } from 'pino';
import { REDIS_URL } from './support/redis-namespace.js';
import { oracleRepo, startHarness, type Harness, type OracleRepo } from './support/service-harness.js';

interface View { status: string; error?: string; steps: number }

/** Writes `request` straight into the harness's Redis, unsigned, as a Redis neighbour would, and queues its orchestration. */
async function writeIntoRedis(harness: Harness, request: BisectionRequest): Promise<string> {
  const redis = connectRedis(REDIS_URL);
  const queue = new Queue(queueNames(harness.namespace).orchestrate, { connection: redis });
  try {
    const store = new BisectionStore(redis, harness.namespace);
    const id = await store.create(request, 'tester', new Date());
    await enqueueOrchestrate(queue, redis, store.keys, id);
    return id;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

async function finished(h: Harness, id: string): Promise<View> {
  for (let i = 0; i < 240; i++) {
    const { body } = await h.fetchJson<View>('GET', `/api/v1/bisections/${id}`);
    if (['found', 'ambiguous', 'failed', 'cancelled'].includes(body.status)) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`bisection ${id} did not finish`);
}

let h: Harness;
let repo: OracleRepo;
const history = generateHistory(seededRandom(15), { commits: 40 });

beforeAll(async () => {
  h = await startHarness('trust', { env: { KBISECT_LIMIT_RANGE_COMMITS: '25' } });
  repo = await oracleRepo(history, 30, []);
}, 60_000);

afterAll(async () => {
  await h.close();
  await repo.cleanup();
});

describe('workers re-check what the API vouched for', () => {
  it('refuses a command probe written straight into Redis, with the reason in the bisection, before anything runs', async () => {
    const marker = join(repo.scratch, 'forged-ran');
    // What a Redis neighbour can write: a well-formed created event without the API's signature.
    const id = await writeIntoRedis(h, { repo: repo.fx.dir, good: [repo.fx.shas[0]!], bad: repo.fx.shas.at(-1)!, probe: { type: 'command', command: `id > ${marker}` } });
    const view = await finished(h, id);
    expect(view.status).toBe('failed');
    expect(view.error).toBe('refused by the worker: the request carries no signature from the API');
    expect(view.steps).toBe(0);
    expect(existsSync(marker)).toBe(false);
  }, 60_000);

  it("ends a submission whose range is over the token's cap failed, with the count", async () => {
    const { status, body } = await h.fetchJson<{ id: string }>('POST', '/api/v1/bisections', { repo: await h.registerTree(repo.fx.dir), good: [repo.fx.shas[0]!], bad: repo.fx.shas.at(-1)!, probe: { type: 'command', command: repo.script } });
    expect(status).toBe(201);
    const view = await finished(h, body.id);
    expect(view.status).toBe('failed');
    const count = (await execa('git', ['-C', repo.fx.dir, 'rev-list', '--count', repo.fx.shas.at(-1)!, '--not', repo.fx.shas[0]!])).stdout;
    expect(view.error).toBe(`the range has ${count} commits, over this token's limit of 25; narrow it with a later good or an earlier bad`);
    expect(view.steps).toBe(0);
  }, 60_000);
});

describe('a worker without the request key', () => {
  const kernelProbe = (): BisectionRequest => ({ repo: repo.fx.dir, good: [repo.fx.shas[0]!], bad: repo.fx.shas.at(-1)!, probe: { type: 'kernel', configFragments: [], pool: 'virtual', reproducer: { name: 'boot' } } });
  /** A harness whose orchestrator starts without KBISECT_REQUEST_KEY_FILE (the API still signs). */
  async function keylessOrchestrator(label: string, env: Record<string, string>): Promise<Harness> {
    const keyless = await startHarness(label, { inProcessWorkers: false });
    const { KBISECT_REQUEST_KEY_FILE: _key, ...rest } = keyless.env;
    keyless.workers = await startWorkers(workerConfigFromEnv({ ...rest, ...env }, ['orchestrator'], { cacheDir: keyless.cacheDir }), { openRepo: gitOpener(keyless.cacheDir), logger: pino({ level: 'silent' }) });
    return keyless;
  }

  it('refuses an unsigned kernel probe before opening the range, saying why', async () => {
    const keyless = await keylessOrchestrator('trust-keyless', {});
    try {
      const view = await finished(keyless, await writeIntoRedis(keyless, kernelProbe()));
      expect(view.status).toBe('failed');
      expect(view.error).toBe('refused by the worker: it holds no request key (KBISECT_REQUEST_KEY_FILE), so it cannot check that the API accepted this request (an operator may set KBISECT_REQUIRE_SIGNED=0 to run unsigned kernel probes)');
      expect(view.steps).toBe(0);
    } finally {
      await keyless.close();
    }
  }, 60_000);

  it('with KBISECT_REQUIRE_SIGNED=0: opens the range of an unsigned kernel probe and queues its builds', async () => {
    const keyless = await keylessOrchestrator('trust-unsigned', { KBISECT_REQUIRE_SIGNED: '0' });
    try {
      const id = await writeIntoRedis(keyless, kernelProbe());
      // No build worker here: the bisection waits for its first build, running.
      let view: View | undefined;
      for (let i = 0; i < 120 && view?.status !== 'running'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        view = (await keyless.fetchJson<View>('GET', `/api/v1/bisections/${id}`)).body;
      }
      expect(view).toMatchObject({ status: 'running' });
      expect(view?.error).toBeUndefined();
    } finally {
      await keyless.close();
    }
  }, 60_000);
});
