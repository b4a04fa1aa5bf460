/**
 * Worlds for shared-results tests: the real orchestrator, store and verdict
 * cache on real Redis (one namespace per test file), with the build and test
 * queues replaced by a record of what each bisection queued, so a test
 * decides what lands when. Each world's probe differs (its reproducer's
 * argument), so each has a fingerprint, and a cache, of its own.
 * Input: a label for the namespace. Output: the helpers below; `close()`
 * drops the namespace.
 */
import { runFields, runKey, runRef, type RunRef, type Verdict } from '@kbisect/bisect';
import { fakeSha, graphOf, linearHistory } from '@kbisect/bisect/testing';
import type { Redis } from 'ioredis';
import { BisectionStore, VerdictCache, connectRedis, stepNames, type BisectionOptions, type KernelProbe, type LogEvent } from '@kbisect/service';
import { unavailableSandbox } from '@kbisect/sandbox';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import { fingerprintOf, type SharedResults } from './dispatch-round.js';
import type { OrchestratorDeps } from './orchestrate.js';
import { orchestrate } from './orchestrate.js';
import type { WorkerRepo } from './repo-port.js';
import { shareRun } from './share-run.js';
import { UNSIGNED_KERNEL_PROBES } from './unsigned-trust.test-support.js';

/** Commit `i` of the linear history 0..16 (good 0, bad 16). */
export const sha = (i: number): string => fakeSha(i);
export const { graph, good, bad } = graphOf(linearHistory(17));
/** The number of a commit of the history. */
export const numberOf = new Map(Array.from({ length: 17 }, (_, i) => [sha(i), i]));

/** One orchestrator's world: the runs it queued and the bisections it woke, per bisection. */
export interface World {
  readonly probe: KernelProbe;
  readonly deps: OrchestratorDeps;
  readonly shared: SharedResults;
  readonly queued: Map<string, RunRef[]>;
  readonly woken: string[];
  readonly rechecks: string[];
}

/** The commits a bisection queued to be tested in its world. */
export const testedHere = (w: World, id: string): string[] => (w.queued.get(id) ?? []).map((r) => r.commit);

export interface SharedWorlds {
  /** The test file's Redis namespace (its queues are named after it: queueNames). */
  readonly namespace: string;
  readonly store: BisectionStore;
  /** The connection the store and the cache use, for reading what they wrote. */
  readonly redis: Redis;
  world(): World;
  /** A kernel bisection of 0..16 (good 0, bad 16 unless `ends` say otherwise), initialized as the orchestrator would; endpoint checks off unless asked. */
  bisection(w: World, options?: BisectionOptions, ends?: { readonly good: number; readonly bad: number }): Promise<string>;
  /** A run's verdict landing from its test job: recorded once, then shared (cached, claim released, waiters woken). */
  land(w: World, id: string, ref: RunRef, verdict: Verdict): Promise<void>;
  /** What another bisection (id `from`) left in the cache under this bisection's fingerprint (run 0 of a commit, or of it with `revert` reverted). */
  cached(w: World, id: string, commit: number, verdict: 'good' | 'bad', from: string, revert?: string): Promise<void>;
  /** Orchestrates and answers every queued run (bad from `culprit` on; a revert run of a commit at or after it is good) until the bisection ends. */
  runToEnd(w: World, id: string, culprit: number): Promise<void>;
  events(id: string): Promise<LogEvent[]>;
  /** The runs answered from the cache, as `<commit>:<purpose>:<run>` keys. */
  reusedRuns(id: string): Promise<string[]>;
  close(): Promise<void>;
}

export function sharedWorlds(label: string): SharedWorlds {
  const ns = uniqueNamespace(label);
  const redis = connectRedis(REDIS_URL);
  const store = new BisectionStore(redis, ns);
  let worlds = 0;

  const world = (): World => {
    const queued = new Map<string, RunRef[]>();
    const woken: string[] = [];
    const rechecks: string[] = [];
    const shared: SharedResults = { cache: new VerdictCache(redis, store.keys), toolchain: 'gcc-test', wake: async (ids) => void woken.push(...ids), recheck: async (id) => void rechecks.push(id) };
    const queue = async (job: { bisectionId: string } & Parameters<typeof runRef>[0]): Promise<void> => {
      queued.set(job.bisectionId, [...(queued.get(job.bisectionId) ?? []), runRef(job)]);
    };
    const deps: OrchestratorDeps = {
      store, shared, trust: UNSIGNED_KERNEL_PROBES, now: () => new Date(), sandbox: unavailableSandbox('no maintainer lookup here'),
      // The range is initialized by the test; at the end only the answer's commit info is asked (none here).
      openRepo: async () => ({ commitInfo: async () => new Map() }) as unknown as WorkerRepo,
      enqueueBuild: queue, enqueueTest: queue,
    };
    const probe: KernelProbe = { type: 'kernel', configFragments: ['qemu-x86_64'], pool: 'virtual', reproducer: { name: 'boot', args: [`${label}-${++worlds}`] } };
    return { probe, deps, shared, queued, woken, rechecks };
  };

  const bisection = async (w: World, options: BisectionOptions = {}, ends = { good: 0, bad: 16 }): Promise<string> => {
    // The range's own graph, as `git rev-list good..bad` gives it: commits good+1..bad, keeping their numbers.
    const range = ends.good === 0 && ends.bad === 16 ? { graph, good, bad } : graphOf(linearHistory(ends.bad - ends.good + 1), (i) => sha(i + ends.good));
    const id = await store.create({ repo: '/srv/linux', good: [range.good], bad: range.bad, probe: w.probe, options: { checkEndpoints: false, ...options } }, 'tester', new Date());
    await store.saveGraph(id, range.graph);
    await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: new Date().toISOString(), bad: range.bad, goods: [range.good], commits: range.graph.commits.length, untestable: {} });
    return id;
  };

  const land = async (w: World, id: string, ref: RunRef, verdict: Verdict): Promise<void> => {
    await store.log.appendOnce(id, stepNames.verdictToken(ref), { type: 'verdict', at: new Date().toISOString(), ...runFields(ref), verdict, reason: 'test', source: 'probe' });
    await shareRun(store, w.shared, { bisectionId: id, ...runFields(ref) });
  };

  const cached = async (w: World, id: string, commit: number, verdict: 'good' | 'bad', from: string, revert?: string): Promise<void> => {
    const fp = fingerprintOf(await store.load(id), w.shared)!;
    await w.shared.cache.record({ fingerprint: fp, commit: sha(commit), run: 0, ...(revert !== undefined ? { revert } : {}) }, { verdict, reason: 'cached', bisection: from, run: 0, at: new Date(0).toISOString() });
  };

  const runToEnd = async (w: World, id: string, culprit: number): Promise<void> => {
    const answered = new Set<string>();
    for (let pass = 0; pass < 40; pass++) {
      if ((await orchestrate(id, w.deps)) === 'finished') return;
      const open = (w.queued.get(id) ?? []).filter((r) => !answered.has(runKey(r)));
      if (open.length === 0) throw new Error(`bisection ${id} waits with nothing queued`);
      for (const ref of open) {
        answered.add(runKey(ref));
        const shows = numberOf.get(ref.commit)! >= culprit && ref.revert === undefined;
        await land(w, id, ref, shows ? 'bad' : 'good');
      }
    }
    throw new Error(`bisection ${id} did not end in 40 passes`);
  };

  const events = async (id: string): Promise<LogEvent[]> => (await store.log.read(id)).map((e) => e.event);
  const reusedRuns = async (id: string): Promise<string[]> => (await events(id)).flatMap((e) => (e.type === 'verdict' && e.reused ? [runKey(e)] : []));

  return {
    namespace: ns, store, redis, world, bisection, land, cached, runToEnd, events, reusedRuns,
    close: async () => {
      redis.disconnect();
      await dropNamespace(ns);
    },
  };
}
