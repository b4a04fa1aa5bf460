import type { BisectionView } from './bisection-view.js';

const minute = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

/**
 * What people said about a bisection, oldest first: manual verdicts (a
 * commit marked by hand) and annotations (the result marked invalid, the
 * culprit overridden), each as "when who: what - why". The plain-text
 * report and the mail both list them; `clean` makes user text safe for the
 * medium (the mail strips control characters and folds whitespace), `title`
 * names a commit. Pure.
 */
export function judgementLines(view: BisectionView, title: (sha: string) => string, clean: (text: string) => string = (t) => t): string[] {
  const manual = view.verdicts
    .filter((v) => v.source === 'manual')
    .map((v) => ({ at: v.at ?? '', text: `${v.by !== undefined ? clean(v.by) : 'someone'}: marked ${title(v.commit)} ${v.verdict.toUpperCase()} by hand${v.purpose ? ` [${v.purpose}]` : ''} - ${clean(v.reason)}` }));
  const annotations = (view.annotations ?? []).map((a) => ({
    at: a.at,
    text: `${clean(a.by)}: ${a.kind === 'invalid' ? 'this result is INVALID' : `the culprit is ${a.culprit ? title(a.culprit) : '?'} instead`} - ${clean(a.reason)}`,
  }));
  // A stable sort: events of the same minute keep the order they were kept in.
  return [...manual, ...annotations].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).map((j) => `${j.at ? `${minute(j.at)} ` : ''}${j.text}`);
}
