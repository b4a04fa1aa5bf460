import { engineVerdict, logStartEnds, next, parseBisectLog, rangeFromImportedLog, startBisection, type ParsedBisectLog, type StartParams, type StartRange, type Step, type Verdict } from '@kbisect/bisect';

/** A mark of an imported `git bisect log`, resolved to a sha; `bad` is git's "new" (for a fix log, `fixed`). */
export interface ImportedMark {
  readonly commit: string;
  readonly verdict: Verdict;
}

export class ImportLogError extends Error {
  readonly code = 'KBISECT_ERR_IMPORT_LOG';
  readonly category = 'user' as const;
  constructor(message: string, readonly field: string) {
    super(`${field}: ${message}`);
    this.name = 'ImportLogError';
  }
}

/** Parses a bisect log or says which line is wrong (checked when a request arrives, and again when it is used). */
export function checkImportLog(text: string, field: string): ParsedBisectLog {
  const parsed = parseBisectLog(text);
  if (!parsed.ok) throw new ImportLogError(parsed.message, field);
  return parsed.log;
}

/** The log's marks with their revisions resolved in the repository (git writes full shas; a hand-written log may not). */
export async function resolveImportedLog(text: string, git: { resolveCommit(ref: string, field: string): Promise<string> }, field: string): Promise<ImportedMark[]> {
  const log = checkImportLog(text, field);
  const marks: ImportedMark[] = [];
  for (const m of log.marks) marks.push({ commit: await git.resolveCommit(m.rev, `${field} line ${m.line}`), verdict: m.verdict });
  return marks;
}

/** An imported log's start reconciled with the ends and mode asked for, and its marks resolved. */
export interface ImportedStart {
  /** In engine terms (for a fix, `bad` is the fixed end). */
  readonly range: StartRange;
  readonly marks: readonly ImportedMark[];
}

/**
 * Reads a `git bisect log` to continue (issue 14.3), for `kbisect run` and
 * the service alike: the log's own start — its ends (git writes them resolved,
 * as comments) and `--first-parent` — fills in what the request leaves out,
 * and a request that contradicts it is refused, naming the flag: continuing
 * a log on another range or graph can blame another commit. `given` holds
 * shas in engine terms.
 */
export async function importedStart(
  text: string,
  git: { resolveCommit(ref: string, field: string): Promise<string> },
  given: { readonly bad?: string; readonly goods: readonly string[]; readonly firstParent?: boolean },
  field: string,
): Promise<ImportedStart> {
  const log = checkImportLog(text, field);
  const ends = logStartEnds(log);
  // Resolved even where git wrote shas: one from another repository is named here, not as a contradiction later.
  const sha = (rev: string): Promise<string> => git.resolveCommit(rev, `${field} start line`);
  const bad = ends.bad !== undefined ? await sha(ends.bad) : undefined;
  const goods = await Promise.all(ends.goods.map(sha));
  const outcome = rangeFromImportedLog({ firstParent: log.firstParent, ...(bad !== undefined ? { bad } : {}), goods }, given);
  if (!outcome.ok) throw new ImportLogError(outcome.message, field);
  return { range: outcome.range, marks: await resolveImportedLog(text, git, field) };
}

export type StartOutcome = { readonly ok: true; readonly step: Step } | { readonly ok: false; readonly message: string };

/**
 * Starts the engine and applies an imported log's marks, as a maintainer's
 * verdicts from before the bisection existed. A mark the engine refuses (a
 * commit outside the range, a contradiction) refuses the whole start: a log
 * half-applied would bisect the wrong range.
 */
export function startWithImported(params: StartParams, imported: readonly ImportedMark[]): StartOutcome {
  let step = startBisection(params);
  for (const mark of [undefined, ...imported]) {
    // The log speaks in git's old/new; the engine takes a verdict as a probe says it (bug shown or not).
    if (mark) step = next(step.state, { type: 'verdict', commit: mark.commit, verdict: engineVerdict(mark.verdict, params.terms), source: 'log' });
    const rejected = step.commands.find((c) => c.type === 'rejected');
    if (rejected?.type === 'rejected') return { ok: false, message: mark ? `imported log: ${rejected.message}` : rejected.message };
  }
  return { ok: true, step };
}
