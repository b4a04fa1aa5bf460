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
import { formatReport } from '@kbisect/service';
import { fingerprintOf } from './dispatch-round.js';
import { failBisection } from './fail-bisection.js';
import { orchestrate } from './orchestrate.js';
import { numberOf, sha, sharedWorlds, testedHere, type World } from './shared-world.test-support.js';

const { store, redis, world, bisection, land, cached, runToEnd, events, close } = sharedWorlds('shared-results');
afterAll(close);

const reusedCommits = async (id: string): Promise<string[]> => (await events(id)).flatMap((e) => (e.type === 'verdict' && e.reused ? [e.commit] : []));

/** Two bisections of one probe: the owner tests commit 8 (git's first step), the waiter waits for the owner's test. */
async function ownerAndWaiter(w: World): Promise<{ owner: string; waiter: string }> {
  const owner = await bisection(w);
  const waiter = await bisection(w);
  expect(await orchestrate(owner, w.deps)).toBe('enqueued');
  expect(testedHere(w, owner)).toEqual([sha(8)]);
  expect(await orchestrate(waiter, w.deps)).toBe('enqueued');
  expect(testedHere(w, waiter)).toEqual([]);
  // Waiting, it asked to look again later whatever happens to the owner.
  expect(w.rechecks).toEqual([waiter]);
  return { owner, waiter };
}

/** What a pass that crashed after logging the end (before letting go of its claims) leaves: an ended bisection still holding them. */
async function endWithoutLettingGo(id: string): Promise<void> {
  await store.requestCancel(id, 'tester', undefined, new Date());
  await store.log.appendOnce(id, 'finished', { type: 'finished', at: new Date().toISOString(), status: 'cancelled', commits: [] });
}

/** The waiter was woken and, on its next pass, queues commit 8 itself. */
async function waiterTestsItself(w: World, waiter: string): Promise<void> {
  expect(w.woken).toEqual([waiter]);
  await orchestrate(waiter, w.deps);
  expect(testedHere(w, waiter)).toEqual([sha(8)]);
}

describe('two bisections sharing a run: whoever waits is never left hanging', () => {
  // However the owner goes, the waiter is woken and tests the run itself.
  it.each([
    {
      name: 'the owner\'s orchestration fails for good (retries spent): its claims are released',
      // What the orchestrate worker's 'failed' handler does once BullMQ gives up on the owner.
      goes: async (w: World, owner: string) => void (await failBisection(w.deps, owner, 'the tree is gone')),
    },
    {
      name: 'the owner is cancelled: its claims are released',
      goes: async (w: World, owner: string) => {
        await store.requestCancel(owner, 'tester', 'not needed', new Date());
        expect(await orchestrate(owner, w.deps)).toBe('finished');
      },
    },
    {
      name: 'the owner ended in a pass that crashed before letting go: the retried pass lets go',
      goes: async (w: World, owner: string) => {
        await endWithoutLettingGo(owner);
        expect(await orchestrate(owner, w.deps)).toBe('already-finished');
      },
    },
    {
      name: 'the owner\'s run ends in a skip (not cached)',
      goes: (w: World, owner: string) => land(w, owner, { commit: sha(8), purpose: 'bisect', run: 0 }, 'skip'),
    },
  ])('$name: the waiter is woken and tests the run itself', async ({ goes }) => {
    const w = world();
    const { owner, waiter } = await ownerAndWaiter(w);
    await goes(w, owner);
    await waiterTestsItself(w, waiter);
  });

  it('a pass that crashed right after logging the end: the retried pass also sets the status (not left running, holding the token\'s limit)', async () => {
    const w = world();
    const { owner } = await ownerAndWaiter(w);
    await endWithoutLettingGo(owner);
    expect(await redis.hget(store.keys.meta(owner), 'status')).toBe('running');
    expect(await orchestrate(owner, w.deps)).toBe('already-finished');
    expect(await redis.hget(store.keys.meta(owner), 'status')).toBe('cancelled');
  });

  it("a bisection failed for good has its end folded and the fold stored: the API leaves a big range's engine steps to the workers", async () => {
    const w = world();
    const { owner } = await ownerAndWaiter(w);
    await failBisection(w.deps, owner, 'the tree is gone');
    // A stored fold starts with the id of the last entry it applied (FoldSnapshots).
    const last = (await store.log.read(owner)).at(-1)!;
    expect(last.event.type).toBe('finished');
    expect(await redis.getrange(store.keys.fold(owner), 0, 63)).toMatch(new RegExp(`^${last.id}\\n`));
  });

  it('the owner ended in a pass that crashed before letting go, and nothing retries it: the waiter\'s recheck takes the run over', async () => {
    const w = world();
    const { owner, waiter } = await ownerAndWaiter(w);
    await endWithoutLettingGo(owner);
    expect(w.woken).toEqual([]);
    await orchestrate(waiter, w.deps);
    expect(testedHere(w, waiter)).toEqual([sha(8)]);
  });

  it('the owner\'s result is marked invalid while the waiter waits: the waiter tests the run itself and still finds the culprit', async () => {
    const w = world();
    const { owner, waiter } = await ownerAndWaiter(w);
    await land(w, owner, { commit: sha(8), purpose: 'bisect', run: 0 }, 'good');
    await w.shared.cache.invalidateFrom(owner);
    await runToEnd(w, waiter, 11);
    expect((await store.load(waiter)).fold.finished).toMatchObject({ status: 'found', culprit: sha(11) });
    expect(testedHere(w, waiter)).toContain(sha(8));
  });
});

describe('contradictory cached verdicts never name a wrong culprit', () => {
  // A cached bad commit that a cached good one contains: no monotone bug gives both, so one is wrong.
  it.each([
    { name: 'the asked commit itself is disputed (good 8 vs bad 4), the truth on the bad side', cache: { 8: 'good', 4: 'bad' } as Record<number, 'good' | 'bad'>, culprit: 3, testsHere: [8] },
    { name: 'the good side is wrong (good 12 vs bad 4), truth 3', cache: { 12: 'good', 4: 'bad' } as Record<number, 'good' | 'bad'>, culprit: 3, testsHere: [8] },
    { name: 'the bad side is wrong (good 12 vs bad 4), truth 14', cache: { 12: 'good', 4: 'bad' } as Record<number, 'good' | 'bad'>, culprit: 14, testsHere: [8] },
  ])('$name: neither is taken while they disagree, this bisection tests for itself and finds the truth', async ({ cache, culprit, testsHere }) => {
    const w = world();
    const id = await bisection(w);
    for (const [commit, verdict] of Object.entries(cache)) await cached(w, id, Number(commit), verdict, `earlier-${commit}`);
    await runToEnd(w, id, culprit);
    expect((await store.load(id)).fold.finished).toMatchObject({ status: 'found', culprit: sha(culprit) });
    // Recording the result stored what the list's text search matches, so no search has to fold this bisection.
    expect(JSON.parse((await redis.hget(store.keys.meta(id), 'search')) ?? 'null')).toMatchObject({ shas: [sha(culprit)] });
    for (const c of testsHere) expect(testedHere(w, id)).toContain(sha(c));
    // Once its own tests settle the dispute, the side they agree with is reused.
    expect((await reusedCommits(id)).length).toBeGreaterThan(0);
    // A disputed run the engine asked for says why it was tested here although cached.
    const disputed = (await events(id)).flatMap((e) => (e.type === 'round' ? e.runs.filter((r) => r.disputed !== undefined) : []));
    if (cache[8] !== undefined) {
      expect(disputed).toEqual([expect.objectContaining({ commit: sha(8), via: 'test', disputed: expect.stringMatching(/contradict each other: .*from earlier-/) })]);
      expect(formatReport(await store.view(id))).toContain(`${sha(8).slice(0, 12)} (cached verdicts disagree: tested here) -> bad`);
    }
  });

  it('with k = 2, a run tested here that contradicts a verdict reused beside it ends the bisection failed, naming both and where the reused one came from', async () => {
    const w = world();
    const id = await bisection(w, { maxParallel: 2 });
    const { replayed } = await store.load(id);
    const round = replayed.phase === 'bisecting' ? replayed.commands.flatMap((c) => (c.type === 'test' ? [c.commit] : [])) : [];
    expect(round).toHaveLength(2);
    const [early, late] = [...round].sort((a, b) => numberOf.get(a)! - numberOf.get(b)!) as [string, string];
    // Another bisection is testing the later point: this one tests the earlier point and waits for the later one.
    const fp = fingerprintOf(await store.load(id), w.shared)!;
    const other = await bisection(w);
    expect(await w.shared.cache.claim({ fingerprint: fp, commit: late, run: 0 }, other)).toEqual({ kind: 'mine' });
    await orchestrate(id, w.deps);
    expect(testedHere(w, id)).toEqual([early]);
    // The other one's test of the later point says good (wrongly: a flaky machine), and wakes this one, which takes it.
    await cached(w, id, numberOf.get(late)!, 'good', other);
    expect(await w.shared.cache.release({ fingerprint: fp, commit: late, run: 0 }, other)).toEqual([id]);
    await orchestrate(id, w.deps);
    expect(await reusedCommits(id)).toEqual([late]);
    // Its own test of the earlier point, already running, shows the bug: a bad commit the reused good one contains.
    await land(w, id, { commit: early, purpose: 'bisect', run: 0 }, 'bad');
    await runToEnd(w, id, numberOf.get(early)!);
    const finished = (await store.load(id)).fold.finished;
    expect(finished?.status).toBe('failed');
    expect(finished?.error).toContain(early);
    expect(finished?.error).toContain(late);
    expect(finished?.error).toContain(`from bisection ${other}`);
  });
});
