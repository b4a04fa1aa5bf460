import { isAncestorInRange } from './ancestry.js';
import { engineVerdict } from './decided-verdicts.js';
import { indexGraph } from './graph-index.js';
import { isBisectRun } from './run-ref.js';
import type { BisectState, Verdict } from './state.js';

/** A verdict offered from outside the engine's own history (another bisection's, from the shared cache), as the probe said it. */
export interface OfferedVerdict {
  readonly commit: string;
  readonly verdict: Verdict;
}

/**
 * The offered commits whose verdict another offer contradicts: a `bad`
 * commit that a `good` one contains (or the same commit said both). No
 * monotone bug gives such a pair, so one of them is wrong and which one is
 * unknown — taking either could name a wrong culprit; the bisection tests
 * them itself. Verdicts in engine terms (a fix search swaps them).
 */
export function disputedOffers(state: BisectState, offers: readonly OfferedVerdict[]): Set<string> {
  const index = indexGraph(state.graph);
  const placed = offers.flatMap((o) => {
    const c = index.indexOf.get(o.commit);
    return c === undefined ? [] : [{ commit: o.commit, c, verdict: engineVerdict(o.verdict, state.terms) }];
  });
  const bads = placed.filter((o) => o.verdict === 'bad');
  const goods = placed.filter((o) => o.verdict === 'good');
  const out = new Set<string>();
  for (const b of bads) {
    for (const g of goods) {
      if (isAncestorInRange(index, b.c, g.c)) {
        out.add(b.commit);
        out.add(g.commit);
      }
    }
  }
  return out;
}

/**
 * The commits of the engine's history (bisect runs that said good or bad)
 * that a verdict on `commit` contradicts: a good commit containing it when
 * it is said bad, a bad commit it contains when it is said good.
 */
export function contradictedBy(state: BisectState, commit: string, verdict: Verdict): string[] {
  const index = indexGraph(state.graph);
  const c = index.indexOf.get(commit);
  const said = engineVerdict(verdict, state.terms);
  if (c === undefined || said === 'skip') return [];
  const out = new Set<string>();
  for (const r of state.history) {
    if (r.commit === commit || !isBisectRun(r)) continue;
    const other = index.indexOf.get(r.commit);
    // A start record is stored in engine terms, probe records as the probe said them.
    const v = r.source === 'start' ? r.verdict : engineVerdict(r.verdict, state.terms);
    if (other === undefined || v === 'skip') continue;
    if ((said === 'bad' && v === 'good' && isAncestorInRange(index, c, other)) || (said === 'good' && v === 'bad' && isAncestorInRange(index, other, c))) out.add(r.commit);
  }
  return [...out];
}
