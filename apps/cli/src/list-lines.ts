import type { ListItem } from '@kbisect/service';

const isFullSha = (s: string): boolean => /^[0-9a-f]{40}$/.test(s);
const ref = (s: string): string => (isFullSha(s) ? s.slice(0, 12) : s);

/** What a row answers so far: the culprit, the candidate count, or the commits left. */
function answerOf(item: ListItem): string {
  if (item.culprit) return `${item.culprit.slice(0, 12)}${item.culpritSubject ? ` ${item.culpritSubject}` : ''}`;
  if (item.candidates !== undefined) return `could be any of ${item.candidates}`;
  if (item.candidatesLeft !== undefined) return `${item.candidatesLeft} commits left`;
  return '';
}

function judgementOf(item: ListItem): string {
  const j = item.judgement;
  if (j === undefined) return '';
  return j.kind === 'invalid' ? `  [marked invalid by ${j.by}]` : `  [culprit overridden to ${j.culprit !== undefined ? j.culprit.slice(0, 12) : '?'} by ${j.by}]`;
}

/**
 * `kbisect list`'s lines, one a bisection, newest first: the whole id (what
 * watch, report and log take), status, when, tree, range, who, and the
 * answer with a maintainer's latest judgement beside it. Pure.
 */
export function listLines(items: readonly ListItem[]): string[] {
  const width = (pick: (i: ListItem) => string): number => Math.max(0, ...items.map((i) => pick(i).length));
  const range = (i: ListItem): string => `${(i.good ?? []).map(ref).join(' ')}..${ref(i.bad ?? '')}`;
  const w = { status: width((i) => i.status), repo: width((i) => i.repo), range: width(range), by: width((i) => i.submittedBy) };
  return items.map((i) => [
    i.id,
    i.status.padEnd(w.status),
    i.createdAt.slice(0, 16).replace('T', ' '),
    i.repo.padEnd(w.repo),
    range(i).padEnd(w.range),
    i.submittedBy.padEnd(w.by),
    answerOf(i) + judgementOf(i),
  ].join('  ').trimEnd());
}
