import { readFile } from 'node:fs/promises';
import { ImportLogError, importedStart, type ImportedStart } from '@kbisect/service/driver';
import { UsageError } from './usage-error.js';

/**
 * Reads a `git bisect log` for --import-log and continues it as the service
 * does (importedStart: its start and --first-parent reconciled with the flags
 * given, in engine terms, so for --fix the "bad" end is the fixed one). A
 * contradiction is a UsageError naming the flag.
 */
export async function importBisectLog(
  path: string,
  repo: { resolveCommit(ref: string, field: string): Promise<string> },
  given: { readonly bad?: string; readonly goods: readonly string[]; readonly firstParent?: boolean; readonly badField: string; readonly goodField: string },
): Promise<ImportedStart> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`kbisect run: --import-log: cannot read '${path}'`);
  }
  const bad = given.bad !== undefined ? await repo.resolveCommit(given.bad, given.badField) : undefined;
  const goods = await Promise.all(given.goods.map((g) => repo.resolveCommit(g, given.goodField)));
  try {
    return await importedStart(text, repo, { ...(bad !== undefined ? { bad } : {}), goods, ...(given.firstParent !== undefined ? { firstParent: given.firstParent } : {}) }, '--import-log');
  } catch (err) {
    if (err instanceof ImportLogError) throw new UsageError(`kbisect run: ${err.message}`);
    throw err;
  }
}
