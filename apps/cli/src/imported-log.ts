import { readFile } from 'node:fs/promises';
import { parseBisectLog, rangeFromImportedLog, type StartRange, type Verdict } from '@kbisect/bisect';
import { UsageError } from './usage-error.js';

export interface ImportedLog {
  /** The range to continue on: the log's own start where the flags are silent. */
  readonly range: StartRange;
  /** The log's marks, resolved to shas. */
  readonly marks: readonly { readonly commit: string; readonly verdict: Verdict }[];
}

/**
 * Reads a `git bisect log` for --import-log: its marks, and its start (ends
 * and --first-parent) reconciled with the flags given — in engine terms, so
 * for --fix the "bad" end is the fixed one. A contradiction is a UsageError.
 */
export async function importBisectLog(
  path: string,
  repo: { resolveCommit(ref: string, field: string): Promise<string> },
  given: { readonly bad?: string; readonly goods: readonly string[]; readonly firstParent?: boolean; readonly badField: string; readonly goodField: string },
): Promise<ImportedLog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`kbisect run: --import-log: cannot read '${path}'`);
  }
  const parsed = parseBisectLog(text);
  if (!parsed.ok) throw new UsageError(`kbisect run: --import-log: ${parsed.message}`);
  const { log } = parsed;
  // git writes the start's revisions resolved, as comments: prefer those to symbolic refs.
  const logBad = log.startShas?.bad ?? (log.startBad !== undefined ? await repo.resolveCommit(log.startBad, '--import-log start line') : undefined);
  const logGoods = log.startShas && log.startShas.goods.length > 0 ? log.startShas.goods : await Promise.all(log.startGoods.map((g) => repo.resolveCommit(g, '--import-log start line')));
  const givenBad = given.bad !== undefined ? await repo.resolveCommit(given.bad, given.badField) : undefined;
  const givenGoods = await Promise.all(given.goods.map((g) => repo.resolveCommit(g, given.goodField)));
  const outcome = rangeFromImportedLog(
    { firstParent: log.firstParent, ...(logBad !== undefined ? { bad: logBad } : {}), goods: logGoods },
    { ...(givenBad !== undefined ? { bad: givenBad } : {}), goods: givenGoods, ...(given.firstParent !== undefined ? { firstParent: given.firstParent } : {}) },
  );
  if (!outcome.ok) throw new UsageError(`kbisect run: ${outcome.message}`);
  const marks: { commit: string; verdict: Verdict }[] = [];
  for (const m of log.marks) marks.push({ commit: await repo.resolveCommit(m.rev, `--import-log line ${m.line}`), verdict: m.verdict });
  return { range: outcome.range, marks };
}
