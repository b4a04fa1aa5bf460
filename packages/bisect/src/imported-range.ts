/** A bisection's starting range: its bad end, good ends and mode. */
export interface StartRange {
  readonly bad: string;
  readonly goods: readonly string[];
  readonly firstParent: boolean;
}

export type ImportedRangeOutcome = { readonly ok: true; readonly range: StartRange } | { readonly ok: false; readonly message: string };

const short = (sha: string): string => sha.slice(0, 12);

/**
 * The range an imported `git bisect log` continues on. The log's own start —
 * its ends and `--first-parent` — wins where the user gave nothing; a flag
 * that contradicts it is refused, naming the flag, because continuing a log
 * on another range or graph can blame another commit. Commits are shas
 * (resolved by the caller).
 */
export function rangeFromImportedLog(
  log: { readonly firstParent: boolean; readonly bad?: string; readonly goods: readonly string[] },
  given: { readonly bad?: string; readonly goods: readonly string[]; readonly firstParent?: boolean },
): ImportedRangeOutcome {
  if (given.firstParent === true && !log.firstParent) {
    return { ok: false, message: '--first-parent: the imported log was started without --first-parent; continuing it on first parents only would bisect another graph (drop the flag, or start afresh)' };
  }
  if (log.bad !== undefined && given.bad !== undefined && log.bad !== given.bad) {
    return { ok: false, message: `--bad ${short(given.bad)} contradicts the imported log, which starts from bad ${short(log.bad)} (omit --bad to use the log's)` };
  }
  const sameGoods = [...new Set(log.goods)].sort().join() === [...new Set(given.goods)].sort().join();
  if (log.goods.length > 0 && given.goods.length > 0 && !sameGoods) {
    return { ok: false, message: `--good ${given.goods.map(short).join(' ')} contradicts the imported log, which starts from good ${log.goods.map(short).join(' ')} (omit --good to use the log's)` };
  }
  const bad = log.bad ?? given.bad;
  if (bad === undefined) return { ok: false, message: '--bad is required: the imported log does not name its bad end' };
  const goods = log.goods.length > 0 ? log.goods : given.goods;
  if (goods.length === 0) return { ok: false, message: '--good is required: the imported log does not name its good end' };
  return { ok: true, range: { bad, goods: [...goods], firstParent: log.firstParent || given.firstParent === true } };
}
