/**
 * Shared results under contradiction and failure (issue #18, point 4), with
 * the real orchestrator, store and verdict cache on real Redis: the test jobs
 * are replaced by verdicts appended the way a step job records them (then
 * shared as the worker shares them), so each scenario controls what lands
 * when. Two bisections sharing a run must never hang on each other, and a
 * cache that contradicts itself or this bisection's own test must never
 * give a wrong culprit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runFields, runKey, runRef, type RunRef, type Verdict } from '@kbisect/bisect';
import { fakeSha, graphOf, linearHistory } from '@kbisect/bisect/testing';
import { BisectionStore, VerdictCache, connectRedis, stepNames, type BisectionOptions, type KernelProbe } from '@kbisect/service';
import { unavailableSandbox } from '@kbisect/sandbox';
import { REDIS_URL, dropNamespace, uniqueNamespace } from '../../../test/support/redis-namespace.js';
import type { SharedResults } from './dispatch-round.js';
import { failBisection } from './fail-bisection.js';
import { orchestrate, type OrchestratorDeps } from './orchestrate.js';
import type { WorkerRepo } from './repo-port.js';
import { shareRun } from './share-run.js';

const ns = uniqueNamespace('shared-results');
const redis = connectRedis(REDIS_URL);
const store = new BisectionStore(redis, ns);
afterAll(async () => {
  redis.disconnect();
  await dropNamespace(ns);
});

// Each world's probe differs (its reproducer's argument), so each test has a fingerprint, and a cache, of its own.
const probeOf = (tag: string): KernelProbe => ({ type: 'kernel', configFragments: ['qemu-x86_64'], pool: 'virtual', reproducer: { name: 'boot', args: [tag] } });
let worlds = 0;
const sha = (i: number): string => fakeSha(i);
const { graph, good, bad } = graphOf(linearHistory(17));
/** Commit `i` of the linear history 0..16 (the graph lists them newest first). */
const numberOf = new Map(Array.from({ length: 17 }, (_, i) => [sha(i), i]));

/** One orchestrator's world: the runs it queued and the bisections it woke, per bisection. */
interface World { readonly probe: KernelProbe; readonly deps: OrchestratorDeps; readonly shared: SharedResults; readonly queued: Map<string, RunRef[]>; readonly woken: string[] }

function world(): World {
  const queued = new Map<string, RunRef[]>();
  const woken: string[] = [];
  const shared: SharedResults = { cache: new VerdictCache(redis, store.keys), toolchain: 'gcc-test', wake: async (ids) => void woken.push(...ids) };
  const queue = async (job: { bisectionId: string } & Parameters<typeof runRef>[0]): Promise<void> => {
    queued.set(job.bisectionId, [...(queued.get(job.bisectionId) ?? []), runRef(job)]);
  };
  const deps: OrchestratorDeps = {
    store, shared, trust: { allowCommandProbe: false }, now: () => new Date(), sandbox: unavailableSandbox('no maintainer lookup here'),
    // The range is initialized by the test; at the end only the answer's commit info is asked (none here).
    openRepo: async () => ({ commitInfo: async () => new Map() }) as unknown as WorkerRepo,
    enqueueBuild: queue, enqueueTest: queue,
  };
  return { probe: probeOf(`world-${++worlds}`), deps, shared, queued, woken };
}

/** A kernel bisection of 0..16 (good 0, bad 16), initialized as the orchestrator would. */
async function bisection(w: World, options: BisectionOptions = {}): Promise<string> {
  const id = await store.create({ repo: '/srv/linux', good: [good], bad, probe: w.probe, options: { checkEndpoints: false, ...options } }, 'tester', new Date());
  await store.saveGraph(id, graph);
  await store.log.appendOnce(id, 'initialized', { type: 'initialized', at: new Date().toISOString(), bad, goods: [good], commits: graph.commits.length, untestable: {} });
  return id;
}

/** A run's verdict landing from its test job: recorded once, then shared (cached, claim released, waiters woken). */
async function land(w: World, id: string, ref: RunRef, verdict: Verdict): Promise<void> {
  await store.log.appendOnce(id, stepNames.verdictToken(ref), { type: 'verdict', at: new Date().toISOString(), ...runFields(ref), verdict, reason: 'test', source: 'probe' });
  await shareRun(store, w.shared, { bisectionId: id, ...runFields(ref) });
}

/** Orchestrates and answers every queued run from `truth` (the first bad commit) until the bisection ends. */
async function runToEnd(w: World, id: string, culprit: number): Promise<void> {
  const answered = new Set<string>();
  for (let pass = 0; pass < 40; pass++) {
    if ((await orchestrate(id, w.deps)) === 'finished') return;
    const open = (w.queued.get(id) ?? []).filter((r) => !answered.has(runKey(r)));
    if (open.length === 0) throw new Error(`bisection ${id} waits with nothing queued`);
    for (const ref of open) {
      answered.add(runKey(ref));
      await land(w, id, ref, numberOf.get(ref.commit)! >= culprit ? 'bad' : 'good');
    }
  }
  throw new Error(`bisection ${id} did not end in 40 passes`);
}

const testedHere = (w: World, id: string): string[] => (w.queued.get(id) ?? []).map((r) => r.commit);

describe('two bisections sharing a run: whoever waits is never left hanging', () => {
  it('the owner\'s orchestration fails for good (retries spent): its claims are released and the waiter tests the run itself', async () => {
    const w = world();
    const owner = await bisection(w);
    const waiter = await bisection(w);
    expect(await orchestrate(owner, w.deps)).toBe('enqueued');
    expect(testedHere(w, owner)).toEqual([sha(8)]);
    expect(await orchestrate(waiter, w.deps)).toBe('enqueued');
    expect(testedHere(w, waiter)).toEqual([]);
    // What the orchestrate worker's 'failed' handler does once BullMQ gives up on the owner.
    await failBisection(w.deps, owner, 'the tree is gone');
    expect(w.woken).toEqual([waiter]);
    await orchestrate(waiter, w.deps);
    expect(testedHere(w, waiter)).toEqual([sha(8)]);
  });

  it('the owner is cancelled: its claims are released and the waiter tests the run itself', async () => {
    const w = world();
    const owner = await bisection(w);
    const waiter = await bisection(w);
    await orchestrate(owner, w.deps);
    await orchestrate(waiter, w.deps);
    await store.requestCancel(owner, 'tester', 'not needed', new Date());
    expect(await orchestrate(owner, w.deps)).toBe('finished');
    expect(w.woken).toEqual([waiter]);
    await orchestrate(waiter, w.deps);
    expect(testedHere(w, waiter)).toEqual([sha(8)]);
  });

  it('the owner\'s run ends in a skip (not cached): the waiter is woken and tests the run itself', async () => {
    const w = world();
    const owner = await bisection(w);
    const waiter = await bisection(w);
    await orchestrate(owner, w.deps);
    await orchestrate(waiter, w.deps);
    await land(w, owner, { commit: sha(8), purpose: 'bisect', run: 0 }, 'skip');
    expect(w.woken).toEqual([waiter]);
    await orchestrate(waiter, w.deps);
    expect(testedHere(w, waiter)).toEqual([sha(8)]);
  });

  it('the owner\'s result is marked invalid while the waiter waits: the waiter tests the run itself and still finds the culprit', async () => {
    const w = world();
    const owner = await bisection(w);
    const waiter = await bisection(w);
    await orchestrate(owner, w.deps);
    await orchestrate(waiter, w.deps);
    await land(w, owner, { commit: sha(8), purpose: 'bisect', run: 0 }, 'good');
    await w.shared.cache.invalidateFrom(owner);
    await runToEnd(w, waiter, 11);
    expect((await store.load(waiter)).fold.finished).toMatchObject({ status: 'found', culprit: sha(11) });
    expect(testedHere(w, waiter)).toContain(sha(8));
  });
});
