/**
 * Endpoint checks and verification runs through the shared verdict cache
 * (issue #18, point 4), with the real orchestrator, store and verdict cache
 * on real Redis (test jobs replaced by verdicts landing as a step job records
 * them). A verdict counts for every run of the same kernel — a bisect step of
 * a commit, an endpoint check or a verification of it — and a revert check
 * only for the same commit with the same revert; flaky policies' checks and
 * verifications stay their own, and `reuse: false` takes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runKey, type RunRef } from '@kbisect/bisect';
import { formatReport } from '@kbisect/service';
import { fingerprintOf } from './dispatch-round.js';
import { orchestrate } from './orchestrate.js';
import { sha, sharedWorlds, testedHere } from './shared-world.test-support.js';

const { store, world, bisection, land, cached, runToEnd, events, reusedRuns, close } = sharedWorlds('shared-checks');
afterAll(close);

const key = (commit: number, purpose: RunRef['purpose'], revert?: string): string => runKey({ commit: sha(commit), purpose, run: 0, ...(revert !== undefined ? { revert } : {}) });
const queuedRuns = (w: ReturnType<typeof world>, id: string): string[] => (w.queued.get(id) ?? []).map((r) => runKey(r));

describe('endpoint checks through the shared verdict cache', () => {
  it('a deterministic bisection takes its ends\' cached verdicts (another bisection\'s bisect steps) for its endpoint checks: no end tested here, and the view and report say reused', async () => {
    const w = world();
    const id = await bisection(w, { checkEndpoints: true });
    await cached(w, id, 16, 'bad', 'earlier');
    await cached(w, id, 0, 'good', 'earlier');
    await runToEnd(w, id, 11);
    expect(testedHere(w, id)).not.toContain(sha(16));
    expect(testedHere(w, id)).not.toContain(sha(0));
    expect((await reusedRuns(id)).sort()).toEqual([key(0, 'check-good'), key(16, 'check-bad')].sort());
    const view = await store.view(id);
    expect(view).toMatchObject({ status: 'found', culprit: sha(11), reused: 2 });
    expect(view.endpoints?.map((e) => e.outcome)).toEqual(['as-expected', 'as-expected']);
    expect(view.verdicts.find((v) => v.purpose === 'check-bad')).toMatchObject({ commit: sha(16), reusedFrom: 'earlier' });
    expect(formatReport(view)).toMatch(new RegExp(`${sha(16).slice(0, 12)}  bad .*\\[check-bad\\] cached\\n +reused from earlier`));
    // Git's path after the checks is unchanged: 8, 12, 10, 11.
    expect(testedHere(w, id)).toEqual([8, 12, 10, 11].map(sha));
  });

  it('an end failing on a reused verdict says so and points at reuse: false, not only at turning the check off', async () => {
    const w = world();
    const id = await bisection(w, { checkEndpoints: true });
    // Another bisection's (wrong, or differently configured) test says the bad end is clean.
    await cached(w, id, 16, 'good', 'earlier-wrong');
    await runToEnd(w, id, 11);
    expect(testedHere(w, id)).not.toContain(sha(16));
    const finished = (await store.load(id)).fold.finished;
    expect(finished).toMatchObject({ status: 'failed' });
    expect(finished?.error).toMatch(/^endpoint check: the bad commit .* does not reproduce/);
    expect(finished?.error).toContain('reused from bisection earlier-wrong');
    expect(finished?.error).toContain('reuse: false');
  });

  it('an endpoint check\'s verdict answers a later bisection\'s bisect step of that commit, marked with the purpose it was tested for', async () => {
    const w = world();
    const first = await bisection(w, { checkEndpoints: true }, { good: 4, bad: 12 });
    await runToEnd(w, first, 11);
    expect(queuedRuns(w, first).slice(0, 2)).toEqual([key(12, 'check-bad'), key(4, 'check-good')]);
    const later = await bisection(w);
    await runToEnd(w, later, 11);
    expect(await reusedRuns(later)).toEqual(expect.arrayContaining([key(12, 'bisect'), key(4, 'bisect')]));
    expect(testedHere(w, later)).not.toContain(sha(12));
    const reused = (await events(later)).flatMap((e) => (e.type === 'verdict' && e.commit === sha(12) ? [e.reused] : []));
    expect(reused).toEqual([expect.objectContaining({ bisection: first, run: 0, purpose: 'check-bad' })]);
    expect((await store.view(later)).culprit).toBe(sha(11));
  });

  it('two running bisections checking the same end share one test: the second waits and takes the first\'s verdict', async () => {
    const w = world();
    const a = await bisection(w, { checkEndpoints: true });
    const b = await bisection(w, { checkEndpoints: true });
    expect(await orchestrate(a, w.deps)).toBe('enqueued');
    expect(queuedRuns(w, a)).toEqual([key(16, 'check-bad')]);
    expect(await orchestrate(b, w.deps)).toBe('enqueued');
    expect(queuedRuns(w, b)).toEqual([]);
    const rounds = (await events(b)).flatMap((e) => (e.type === 'round' ? e.runs : []));
    expect(rounds).toEqual([expect.objectContaining({ commit: sha(16), purpose: 'check-bad', via: 'shared', from: a })]);
    expect(w.rechecks).toEqual([b]);
    await land(w, a, { commit: sha(16), purpose: 'check-bad', run: 0 }, 'bad');
    expect(w.woken).toEqual([b]);
    await orchestrate(b, w.deps);
    expect(await reusedRuns(b)).toEqual([key(16, 'check-bad')]);
    expect(testedHere(w, b)).not.toContain(sha(16));
  });

  it('a bisect step in flight in one bisection answers another\'s endpoint check of that commit (the same kernel, whatever it is run for)', async () => {
    const w = world();
    const a = await bisection(w);
    const b = await bisection(w, { checkEndpoints: true }, { good: 0, bad: 8 });
    expect(await orchestrate(a, w.deps)).toBe('enqueued');
    expect(queuedRuns(w, a)).toEqual([key(8, 'bisect')]);
    await orchestrate(b, w.deps);
    expect(queuedRuns(w, b)).toEqual([]);
    await land(w, a, { commit: sha(8), purpose: 'bisect', run: 0 }, 'bad');
    expect(w.woken).toEqual([b]);
    await runToEnd(w, b, 5);
    expect(await reusedRuns(b)).toContain(key(8, 'check-bad'));
    expect(testedHere(w, b)).not.toContain(sha(8));
    expect((await store.view(b)).culprit).toBe(sha(5));
  });

  it('a flaky policy\'s endpoint checks are tested here, never answered by one cached run, and give nothing to the cache', async () => {
    const w = world();
    const id = await bisection(w, { checkEndpoints: true, policy: 'repeat', badAfter: 1, goodAfter: 2 });
    await cached(w, id, 16, 'bad', 'earlier');
    await orchestrate(id, w.deps);
    expect(queuedRuns(w, id)).toEqual([key(16, 'check-bad')]);
    await land(w, id, { commit: sha(16), purpose: 'check-bad', run: 0 }, 'bad');
    await orchestrate(id, w.deps);
    await land(w, id, { commit: sha(0), purpose: 'check-good', run: 0 }, 'good');
    expect(queuedRuns(w, id)).toEqual([key(16, 'check-bad'), key(0, 'check-good')]);
    expect(await reusedRuns(id)).toEqual([]);
    const fp = fingerprintOf(await store.load(id), w.shared)!;
    expect((await w.shared.cache.runsOf(fp, sha(0))).size).toBe(0);
  });

  it('reuse: false tests its ends here although the cache has them', async () => {
    const w = world();
    const id = await bisection(w, { checkEndpoints: true, reuse: false });
    await cached(w, id, 16, 'bad', 'earlier');
    await cached(w, id, 0, 'good', 'earlier');
    await runToEnd(w, id, 11);
    expect(queuedRuns(w, id).slice(0, 2)).toEqual([key(16, 'check-bad'), key(0, 'check-good')]);
    expect(await reusedRuns(id)).toEqual([]);
  });
});

describe('verification runs through the shared verdict cache', () => {
  it('a bisection re-tests what its own search tested; a later one takes the culprit\'s and the parent\'s verdicts from it', async () => {
    const w = world();
    const first = await bisection(w, { verify: true });
    await runToEnd(w, first, 11);
    // Its own bisect runs of 11 and 10 are in the cache, but it asked to re-test them.
    expect(queuedRuns(w, first).slice(-2)).toEqual([key(11, 'verify-culprit'), key(10, 'verify-parent')]);
    expect(await reusedRuns(first)).toEqual([]);
    const later = await bisection(w, { verify: true });
    await runToEnd(w, later, 11);
    expect(queuedRuns(w, later)).toEqual([]);
    expect(await reusedRuns(later)).toEqual(expect.arrayContaining([key(11, 'verify-culprit'), key(10, 'verify-parent')]));
    const view = await store.view(later);
    expect(view.verification).toMatchObject({ culprit: { outcome: 'confirmed' }, parents: { outcome: 'confirmed' } });
    expect(view.verdicts.find((v) => v.purpose === 'verify-parent')).toMatchObject({ commit: sha(10), reusedFrom: expect.any(String) });
  });

  it('a revert check is answered only by a cached run of the same commit with the same commit reverted', async () => {
    const w = world();
    const first = await bisection(w, { verifyRevert: true });
    // Cached for the bad end: a plain run, and a run with another commit (9) reverted: neither is the revert check's kernel.
    await cached(w, first, 16, 'bad', 'earlier');
    await cached(w, first, 16, 'good', 'earlier', sha(9));
    await runToEnd(w, first, 11);
    expect(await reusedRuns(first)).toContain(key(16, 'verify-bad'));
    expect(queuedRuns(w, first)).toContain(key(16, 'verify-revert'));
    expect(w.queued.get(first)?.find((r) => r.purpose === 'verify-revert')?.revert).toBe(sha(11));
    expect((await store.view(first)).verification?.revert).toMatchObject({ outcome: 'fixed' });
    // Its reverted run went to the cache under that revert: a later bisection takes it.
    const later = await bisection(w, { verifyRevert: true });
    await runToEnd(w, later, 11);
    expect(queuedRuns(w, later)).toEqual([]);
    const revert = (await events(later)).flatMap((e) => (e.type === 'verdict' && e.purpose === 'verify-revert' ? [e] : []));
    expect(revert).toEqual([expect.objectContaining({ verdict: 'good', reused: expect.objectContaining({ bisection: first, purpose: 'verify-revert' }) })]);
    expect((await store.view(later)).verification?.revert).toMatchObject({ outcome: 'fixed' });
  });

  it('a flaky policy\'s verification runs are tested here', async () => {
    const w = world();
    const first = await bisection(w, { verify: true, policy: 'repeat', badAfter: 1, goodAfter: 1 });
    await runToEnd(w, first, 11);
    const later = await bisection(w, { verify: true, policy: 'repeat', badAfter: 1, goodAfter: 1 });
    await runToEnd(w, later, 11);
    // Its bisect steps are earlier runs as data; its verification is its own.
    expect(queuedRuns(w, later)).toEqual(expect.arrayContaining([key(11, 'verify-culprit'), key(10, 'verify-parent')]));
    expect((await reusedRuns(later)).filter((k) => !k.includes(':bisect:'))).toEqual([]);
    expect((await reusedRuns(later)).length).toBeGreaterThan(0);
  });
});
