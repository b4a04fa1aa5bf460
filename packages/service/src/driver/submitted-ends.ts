import { Value } from '@sinclair/typebox/value';
import { logStartEnds } from '@kbisect/bisect';
import { BisectionRequestSchema, type BisectionRequest, type BisectionSubmission } from '../request-schema.js';
import { ImportLogError, checkImportLog } from './imported-log.js';

export type SubmittedEnds = { readonly ok: true; readonly request: BisectionRequest } | { readonly ok: false; readonly field: string; readonly message: string };

/**
 * A submission with both ends: those it leaves out are taken from its
 * imported log's start (logStartEnds), as `kbisect run --import-log` takes
 * them; the orchestrator's importedStart then checks, in the repository,
 * that the ends and the log agree. A fix bisection names its ends itself,
 * as `kbisect run --fix` must. Pure: the API fills the ends in before
 * anything is stored, so every stored request has them.
 */
export function submittedEnds(submission: BisectionSubmission): SubmittedEnds {
  const { good, bad, ...rest } = submission;
  if (good !== undefined && bad !== undefined) return { ok: true, request: { ...rest, good, bad } };
  const missing = good === undefined ? 'good' : 'bad';
  if (submission.importLog === undefined) return { ok: false, field: missing, message: `${missing}: required (unless importLog, a git bisect log whose start line names the ends, is given)` };
  if (submission.options?.terms === 'fix') return { ok: false, field: missing, message: `${missing}: a fix bisection names both its ends (exactly one good, where the bug is gone), even with importLog` };
  let ends: ReturnType<typeof logStartEnds>;
  try {
    ends = logStartEnds(checkImportLog(submission.importLog, 'importLog'));
  } catch (err) {
    if (err instanceof ImportLogError) return { ok: false, field: err.field, message: err.message };
    throw err;
  }
  const filledBad = bad ?? ends.bad;
  if (filledBad === undefined) return { ok: false, field: 'bad', message: "bad: required: the imported log's start line names no bad end" };
  const filledGood = good ?? (ends.goods.length > 0 ? [...ends.goods] : undefined);
  if (filledGood === undefined) return { ok: false, field: 'good', message: "good: required: the imported log's start line names no good end" };
  const { properties } = BisectionRequestSchema;
  if (!Value.Check(properties.good, filledGood) || !Value.Check(properties.bad, filledBad)) return { ok: false, field: 'importLog', message: 'importLog: the ends its start line names are not refs a request may name (at most 16 goods, each at most 255 characters)' };
  return { ok: true, request: { ...rest, good: filledGood, bad: filledBad } };
}
