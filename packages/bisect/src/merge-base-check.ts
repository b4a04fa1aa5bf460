import type { Terms, Verdict } from './state.js';

export type MergeBaseStep =
  | { readonly kind: 'test'; readonly commit: string }
  | { readonly kind: 'done'; readonly goods: readonly string[] }
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * `git bisect`'s merge-base check, for a good commit that is not an ancestor
 * of bad: each merge base of bad and the goods (in `git merge-base --all`
 * order) is tested first ("a merge base must be tested"). A good one becomes
 * a good end; a skipped one is passed over, as git warns and continues; a bad
 * one ends the bisection as git does: the bug was fixed between the merge base
 * and the goods, so there is no first bad commit to find. `tested` holds the
 * merge bases' verdicts so far, in engine terms.
 */
export function nextMergeBaseStep(args: { bad: string; goods: readonly string[]; mergeBases: readonly string[]; tested: ReadonlyMap<string, Verdict>; terms?: Terms }): MergeBaseStep {
  const goods = [...args.goods];
  for (const mb of args.mergeBases) {
    if (goods.includes(mb)) continue;
    const verdict = args.tested.get(mb);
    if (verdict === undefined) return { kind: 'test', commit: mb };
    if (verdict === 'good') goods.push(mb);
    if (verdict === 'bad') {
      const [isBad, fixed] = args.terms === 'fix' ? ['already fixed', 'introduced'] : ['bad', 'fixed'];
      return { kind: 'failed', reason: `The merge base ${mb} is ${isBad}. This means the bug has been ${fixed} between ${mb} and [${args.goods.join(' ')}] (git bisect stops here too: there is no first ${args.terms === 'fix' ? 'fixed' : 'bad'} commit to find)` };
    }
  }
  return { kind: 'done', goods };
}
