import { isAncestorInRange } from './ancestry.js';
import type { GraphIndex } from './graph-index.js';
import { decidedVerdicts } from './decided-verdicts.js';
import type { BisectState } from './state.js';

/** The current bad commit, good commits and skipped commits, derived from the history. */
export interface Bounds {
  readonly bad: number;
  readonly goods: readonly number[];
  readonly skipped: ReadonlySet<number>;
}

export function deriveBounds(state: BisectState, index: GraphIndex): Bounds {
  let bad = index.indexOf.get(state.bad) ?? 0;
  const goods: number[] = [];
  const skipped = new Set<number>();
  for (const g of state.goods) {
    const i = index.indexOf.get(g);
    if (i !== undefined) goods.push(i);
  }
  for (const record of decidedVerdicts(state)) {
    const i = index.indexOf.get(record.commit);
    if (i === undefined) continue;
    if (record.verdict === 'good') goods.push(i);
    else if (record.verdict === 'skip') skipped.add(i);
    else if (i !== bad && isAncestorInRange(index, i, bad)) bad = i;
  }
  return { bad, goods, skipped };
}
