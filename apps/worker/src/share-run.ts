import { runKey, runRef } from '@kbisect/bisect';
import type { BisectionStore, StepRun } from '@kbisect/service';
import { fingerprintOf, isShareable, type SharedResults } from './dispatch-round.js';

/**
 * After a step job: a run that got its verdict here goes to the shared cache
 * (good and bad only — a skip may be the machinery's, and a maintainer's word
 * is theirs), its claim is given up, and the bisections that waited for it
 * are woken. A bisection with `reuse: false` takes nothing from the cache
 * but still gives its own tests to it.
 */
export async function shareRun(store: BisectionStore, shared: SharedResults, run: StepRun): Promise<void> {
  const ref = runRef(run);
  if (!isShareable(ref)) return;
  const loaded = await store.load(run.bisectionId);
  const fp = fingerprintOf(loaded, shared);
  const verdict = loaded.fold.runs[runKey(ref)];
  if (fp === undefined || !verdict) return;
  const slot = { fingerprint: fp, commit: ref.commit, run: ref.run };
  if (verdict.source === 'probe' && verdict.reused === undefined && (verdict.verdict === 'good' || verdict.verdict === 'bad')) {
    await shared.cache.record(slot, {
      verdict: verdict.verdict, reason: verdict.reason, bisection: run.bisectionId, run: ref.run, at: verdict.at,
      ...(verdict.evidence !== undefined ? { evidence: verdict.evidence } : {}),
      ...(verdict.buildEvidence !== undefined ? { buildEvidence: verdict.buildEvidence } : {}),
      ...(verdict.metrics !== undefined ? { metrics: verdict.metrics } : {}),
      ...(verdict.machine !== undefined ? { machine: verdict.machine } : {}),
    });
  }
  await shared.wake(await shared.cache.release(slot, run.bisectionId));
}
