import { runKey, runRef } from '@kbisect/bisect';
import type { BisectionStore, StepRun } from '@kbisect/service';
import { fingerprintOf, slotIn, type SharedResults } from './dispatch-round.js';

/**
 * After a step job: a run that got its verdict here goes to the shared cache
 * (good and bad only — a skip may be the machinery's, and a maintainer's word
 * is theirs), its claim is given up, and the bisections that waited for it
 * are woken. Which runs share is `sharedSlot`'s to say (bisect runs; a
 * deterministic policy's endpoint checks and verification runs too). A
 * bisection with `reuse: false` takes nothing from the cache but still gives
 * its own tests to it.
 */
export async function shareRun(store: BisectionStore, shared: SharedResults, run: StepRun): Promise<void> {
  const ref = runRef(run);
  const loaded = await store.load(run.bisectionId);
  const fp = fingerprintOf(loaded, shared);
  const slot = fp === undefined ? undefined : slotIn(loaded, ref, fp);
  const verdict = loaded.fold.runs[runKey(ref)];
  if (slot === undefined || !verdict) return;
  if (verdict.source === 'probe' && verdict.reused === undefined && (verdict.verdict === 'good' || verdict.verdict === 'bad')) {
    await shared.cache.record(slot, {
      verdict: verdict.verdict, reason: verdict.reason, bisection: run.bisectionId, run: ref.run, at: verdict.at,
      ...(ref.purpose !== 'bisect' ? { purpose: ref.purpose } : {}),
      ...(verdict.evidence !== undefined ? { evidence: verdict.evidence } : {}),
      ...(verdict.buildEvidence !== undefined ? { buildEvidence: verdict.buildEvidence } : {}),
      ...(verdict.metrics !== undefined ? { metrics: verdict.metrics } : {}),
      ...(verdict.machine !== undefined ? { machine: verdict.machine } : {}),
    });
  }
  await shared.wake(await shared.cache.release(slot, run.bisectionId));
}
