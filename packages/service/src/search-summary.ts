import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { BisectionView } from './bisection-view.js';
import type { LogEvent } from './log-event.js';

/**
 * What the list's text filter (`GET /bisections?q=`) looks at for one
 * bisection, kept small beside its listing fields so a search reads these
 * instead of folding every answered bisection. `v` is the summary's
 * version: one written under another definition is recomputed, not trusted.
 */
export const SearchSummarySchema = Type.Object({
  v: Type.Literal(1),
  /** Shas a sha prefix matches: the culprit, the candidates, the commits of the result, and culprits maintainers named instead. */
  shas: Type.Array(Type.String()),
  /** The culprit's subject and the result's commit subjects, lowercased, one per line. */
  text: Type.String(),
});
export type SearchSummary = Static<typeof SearchSummarySchema>;

const checkSummary = TypeCompiler.Compile(SearchSummarySchema);

/** The subject of the engine's culprit, when the result carries it: the list row's `culpritSubject`. */
export function culpritSubjectOf(view: BisectionView): string | undefined {
  return view.culprit ? view.commits?.find((c) => c.sha === view.culprit)?.subject : undefined;
}

/**
 * The summary of a bisection's view. A culprit override is searchable by its
 * sha beside the engine's answer, which is never rewritten (the row still
 * shows it), so both find the bisection.
 */
export function searchSummaryOf(view: BisectionView): SearchSummary {
  const commits = view.commits ?? [];
  const overrides = (view.annotations ?? []).flatMap((a) => (a.kind === 'culprit-override' && a.culprit !== undefined ? [a.culprit] : []));
  const shas = [view.culprit, ...(view.candidates ?? []), ...commits.map((c) => c.sha), ...overrides].filter((s): s is string => s !== undefined);
  // The same haystack the list matched before summaries existed (culprit subject first), so results do not change.
  const text = [culpritSubjectOf(view), ...commits.map((c) => c.subject)].filter((s): s is string => s !== undefined).join('\n').toLowerCase();
  return { v: 1, shas: [...new Set(shas)], text };
}

/** Whether a summary matches the text filter: a sha prefix (4 to 40 hex digits) of one of its shas, or a substring of its subjects, ignoring case. */
export function matchesSearch(summary: SearchSummary, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle === '') return true;
  if (/^[0-9a-f]{4,40}$/.test(needle) && summary.shas.some((sha) => sha.startsWith(needle))) return true;
  return summary.text.includes(needle);
}

/** A stored summary, or undefined when there is none or it is not one of this version (the caller recomputes it). */
export function parseSearchSummary(raw: string | null | undefined): SearchSummary | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return checkSummary.Check(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether appending this event can change what the bisection's summary holds: its result, or a maintainer's judgement of it. */
export function changesSearch(event: LogEvent): boolean {
  return event.type === 'finished' || event.type === 'annotation';
}
