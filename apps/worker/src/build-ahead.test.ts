/**
 * Builds ahead against real Redis and BullMQ: the plan from the engine's
 * real stepping, the low-priority jobs, the drop of moot ones by the
 * orchestrator's rule (removed while waiting, stopped while building), and a
 * step's own build settling with a build ahead of its run. The kernel build
 * itself is replaced (kbuild's own tests build real kernels and kill real makes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKey, runRef, runsInFlight, type RunRef } from '@kbisect/bisect';
import { fakeSha, graphOf, linearHistory } from '@kbisect/bisect/testing';
import { ArtifactCache, type BuildOutcome } from '@kbisect/kbuild';
import { BisectionStore, BUILD_AHEAD_PRIORITY_OFFSET, connectRedis, jobIds, queueNames, type BisectionOptions, type KernelProbe, type LogEvent } from '@kbisect/service';
import { unavailableSandbox } from '@kbisect/sandbox';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { aheadOf, stillUseful } from './build-ahead-plan.js';
import { buildAheadQueue, type BuildAheadQueue } from './build-ahead-queue.js';
import { runBuildAheadJob, type BuildAheadDeps } from './build-ahead-job.js';
import { queueBuildsAhead } from './queue-builds-ahead.js';
import { workerConfigFromEnv } from './worker-config.js';
import type { OpenRepo, WorkerRepo } from './repo-port.js';
import { UNSIGNED_KERNEL_PROBES } from './unsigned-trust.test-support.js';

const ns = uniqueNamespace('build-ahead');
const redis = connectRedis(REDIS_URL);
const store = new BisectionStore(redis, ns);
const queue = new Queue(queueNames(ns).build, { connection: redis });
const ahead: BuildAheadQueue = buildAheadQueue(queue, redis, store.keys);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kbisect-build-ahead-'));
});
afterAll(async () => {
  await queue.close();
  redis.disconnect();
  await dropNamespace(ns);
  await rm(work, { recursive: true, force: true });
});

const probe: KernelProbe = { type: 'kernel', configFragments: ['qemu-x86_64'], pool: 'virtual', reproducer: { name: 'boot' } };
const artifacts = { key: 'a'.repeat(64), dir: '/a', bzImage: '/a/bzImage', config: '/a/.config', systemMap: '/a/System.map', log: '/a/build.log', meta: { configHash: 'c0ffee' } };

/** A kernel bisection over 16 candidates, initialized: git's first run (commit 8) is handed out. */
async function bisection(options: BisectionOptions = {}): Promise<{ id: string; tested: RunRef }> {
  const { graph, good, bad } = graphOf(linearHistory(17));
  const id = await store.create({ repo: '/srv/linux', good: [good], bad, probe, options }, 'tester', new Date());
  await store.saveGraph(id, graph);
  await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: new Date().toISOString(), bad, goods: [good], commits: graph.commits.length, untestable: {} });
  const { replayed } = await store.load(id);
  if (replayed.phase !== 'bisecting') throw new Error('not bisecting');
  return { id, tested: runsInFlight(replayed.state)[0]! };
}

async function verdict(id: string, ref: RunRef, v: 'good' | 'bad'): Promise<void> {
  await store.log.appendOnce(id, `verdict:${runKey(ref)}`, { type: 'verdict', at: new Date().toISOString(), commit: ref.commit, verdict: v, reason: 'test', source: 'probe' });
}

async function useful(id: string): Promise<Set<string>> {
  const { replayed } = await store.load(id);
  if (replayed.phase !== 'bisecting') throw new Error('not bisecting');
  return stillUseful(replayed.state);
}

const events = async (id: string): Promise<LogEvent[]> => (await store.log.read(id)).map((e) => e.event);
const buildMessages = async (id: string): Promise<string[]> => (await events(id)).flatMap((e) => (e.type === 'step-progress' && e.phase === 'build' ? [e.message] : []));

function deps(build: (signal: AbortSignal | undefined) => Promise<BuildOutcome>): BuildAheadDeps {
  const openRepo: OpenRepo = async () => ({}) as WorkerRepo;
  return {
    store, trust: UNSIGNED_KERNEL_PROBES, queue: ahead, now: () => new Date(), pollMs: 50,
    openRepo, cache: new ArtifactCache(join(work, 'cache'), 1e9), workDir: join(work, 'slot'), jobs: 1, ccacheDir: join(work, 'ccache'), sandbox: unavailableSandbox('the fake build replaces it'),
    build: async (_tree, _cache, _dir, req) => build(req.signal),
  };
}

describe('builds ahead', () => {
  it('while commit 8 is tested, queues 12 (its good verdict\'s next) and 4 (its bad one\'s) behind every step\'s job', async () => {
    const { id, tested } = await bisection({ priority: 30 });
    expect(tested.commit).toBe(fakeSha(8));
    const queued = await queueBuildsAhead(store, ahead, { kind: 'build', bisectionId: id, ...tested }, { workerAllows: true, priority: 30 });
    expect(queued).toBe(2);
    for (const commit of [fakeSha(12), fakeSha(4)]) {
      const job = await queue.getJob(jobIds.buildAhead({ bisectionId: id, commit }));
      expect(job?.data).toMatchObject({ kind: 'build-ahead', commit, after: { commit: tested.commit } });
      expect(job?.opts.priority).toBe(BUILD_AHEAD_PRIORITY_OFFSET + 30);
      expect(await job?.getState()).toBe('prioritized');
    }
  });

  it('the worker switch: on by default, KBISECT_BUILD_AHEAD=off turns it off, anything else is refused by name', () => {
    expect(workerConfigFromEnv({}, ['build'], { cacheDir: '/c' }).buildAhead).toBe(true);
    expect(workerConfigFromEnv({ KBISECT_BUILD_AHEAD: 'off' }, ['build'], { cacheDir: '/c' }).buildAhead).toBe(false);
    expect(() => workerConfigFromEnv({ KBISECT_BUILD_AHEAD: 'yes' }, ['build'], { cacheDir: '/c' })).toThrow("KBISECT_BUILD_AHEAD: 'yes' is neither 'on' nor 'off'");
  });

  it('is off when the request opts out or the worker does not allow it', async () => {
    const optedOut = await bisection({ buildAhead: false });
    expect(await queueBuildsAhead(store, ahead, { kind: 'build', bisectionId: optedOut.id, ...optedOut.tested }, { workerAllows: true, priority: 50 })).toBe(0);
    const plain = await bisection();
    expect(await queueBuildsAhead(store, ahead, { kind: 'build', bisectionId: plain.id, ...plain.tested }, { workerAllows: false, priority: 50 })).toBe(0);
    expect(await queue.getJob(jobIds.buildAhead({ bisectionId: plain.id, commit: fakeSha(12) }))).toBeUndefined();
  });

  it('builds into the cache and says "built ahead"; the verdict drops the other branch and the step takes its run over', async () => {
    const { id, tested } = await bisection();
    await queueBuildsAhead(store, ahead, { kind: 'build', bisectionId: id, ...tested }, { workerAllows: true, priority: 50 });
    const [good12, bad4] = [runRef({ commit: fakeSha(12) }), runRef({ commit: fakeSha(4) })];
    // The worker takes 4 and builds it.
    const outcome = await runBuildAheadJob({ kind: 'build-ahead', bisectionId: id, ...bad4, after: tested }, deps(async () => ({ kind: 'built', artifacts, fromCache: false, seconds: 42, forced: [] })));
    expect(outcome).toBe('built');
    expect(await buildMessages(id)).toEqual([`built ahead: ${fakeSha(4).slice(0, 12)} in 42 s, while ${fakeSha(8).slice(0, 12)} was tested`]);
    // No step started, no verdict: the build ahead is only a kernel in the cache.
    expect((await events(id)).some((e) => e.type === 'step-started' || e.type === 'verdict')).toBe(false);

    // 8 is bad: 12 is moot (its waiting job removed), 4 is the next run.
    await verdict(id, tested, 'bad');
    const after = await useful(id);
    expect(after.has(runKey(bad4))).toBe(true);
    expect(after.has(runKey(good12))).toBe(false);
    const dropped = await ahead.dropMoot(id, () => after);
    expect(dropped.map((r) => r.commit)).toEqual([fakeSha(12)]);
    expect(await queue.getJob(jobIds.buildAhead({ bisectionId: id, ...good12 }))).toBeUndefined();
    expect(await ahead.dropMoot(id, () => after)).toEqual([]);
  });

  it('a build ahead made moot while building is stopped through its signal, and says so', async () => {
    const { id, tested } = await bisection();
    await queueBuildsAhead(store, ahead, { kind: 'build', bisectionId: id, ...tested }, { workerAllows: true, priority: 50 });
    let building!: () => void;
    const started = new Promise<void>((r) => { building = r; });
    const job = runBuildAheadJob({ kind: 'build-ahead', bisectionId: id, commit: fakeSha(12), after: tested }, deps((signal) => {
      building();
      return new Promise((resolve) => signal!.addEventListener('abort', () => resolve({ kind: 'cancelled', reason: 'stopped', log: '/a/build.log' })));
    }));
    await started;
    await verdict(id, tested, 'bad');
    const moot = await useful(id);
    await ahead.dropMoot(id, () => moot);
    expect(await job).toBe('dropped');
    expect(await buildMessages(id)).toEqual([`build ahead of ${fakeSha(12).slice(0, 12)} stopped: no verdict still to come needs it`]);
  });

  it('a build ahead whose run became moot before it started is not built; a finished bisection drops them all', async () => {
    const { id, tested } = await bisection();
    await queueBuildsAhead(store, ahead, { kind: 'build', bisectionId: id, ...tested }, { workerAllows: true, priority: 50 });
    await verdict(id, tested, 'good');
    let built = false;
    const outcome = await runBuildAheadJob({ kind: 'build-ahead', bisectionId: id, commit: fakeSha(4), after: tested }, deps(async () => {
      built = true;
      return { kind: 'built', artifacts, fromCache: false, seconds: 1, forced: [] };
    }));
    expect(outcome).toBe('moot');
    expect(built).toBe(false);
    await store.log.appendOnce(id, 'cancel', { type: 'cancel-requested', at: new Date().toISOString(), by: 'tester' });
    const { replayed } = await store.load(id);
    if (replayed.phase !== 'bisecting') throw new Error('not bisecting');
    // 12 is still waiting in the queue; the bisection no longer runs, so nothing is useful.
    const dropped = await ahead.dropMoot(id, () => stillUseful({ ...replayed.state, status: 'cancelled' }));
    expect(dropped.map((r) => r.commit)).toEqual([fakeSha(12)]);
  });

  it("a step's own build removes a waiting build ahead of its run, and waits for one that is building", async () => {
    // A queue of its own: the worker below must take this build ahead, not another test's.
    const own = new Queue(`${queueNames(ns).build}-settle`, { connection: redis });
    const q = buildAheadQueue(own, redis, store.keys);
    const { id, tested } = await bisection();
    const run = { bisectionId: id, commit: fakeSha(4) };
    await q.enqueue(id, tested, [runRef(run)], 50);
    expect(await q.settle(run)).toBe('removed');
    expect(await own.getJob(jobIds.buildAhead(run))).toBeUndefined();

    // Now one that a real worker is building.
    await q.enqueue(id, tested, [runRef(run)], 50);
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let active!: () => void;
    const isActive = new Promise<void>((r) => { active = r; });
    const worker = new Worker(own.name, async () => {
      active();
      await held;
      return 'built';
    }, { connection: connectRedis(REDIS_URL) });
    try {
      await isActive;
      let settled = false;
      const settling = q.settle(run, { pollMs: 50 }).then((r) => { settled = true; return r; });
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      release();
      expect(await settling).toBe('waited');
    } finally {
      release();
      await worker.close();
      await own.close();
    }
  });

  it('plans no kernel twice: a run in flight already builds its own', async () => {
    const { id, tested } = await bisection();
    const { replayed } = await store.load(id);
    if (replayed.phase !== 'bisecting') throw new Error('not bisecting');
    const runs = aheadOf(replayed.state, tested);
    expect(runs.map((r) => r.commit)).toEqual([fakeSha(12), fakeSha(4)]);
    expect(runs.some((r) => r.commit === tested.commit)).toBe(false);
  });
});
