import { isFullSha } from '@kbisect/bisect';
import type { ListItem } from '@kbisect/service';
import { counted } from './counted.js';

const ref = (s: string): string => (isFullSha(s) ? s.slice(0, 12) : s);

/** What a row answers so far: the culprit, the candidate count, or the commits left. */
function answerOf(item: ListItem): string {
  if (item.culprit) return `${item.culprit.slice(0, 12)}${item.culpritSubject ? ` ${item.culpritSubject}` : ''}`;
  if (item.candidates !== undefined) return `could be any of ${item.candidates}`;
  if (item.candidatesLeft !== undefined) return `${counted(item.candidatesLeft, 'commit')} left`;
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

/** The list filters `kbisect list` takes, by flag name. */
export type ListFilters = Readonly<Partial<Record<'status' | 'repo' | 'by' | 'grep' | 'limit', string | undefined>>>;

/**
 * The command for the next page: the same filters and the API's cursor, as
 * `--flag=value` (strict option parsing refuses a separate value that starts
 * with '-') and quoted for a POSIX shell. Pure.
 */
export function nextPageCommand(filters: ListFilters, cursor: string): string {
  const flags = (['status', 'repo', 'by', 'grep', 'limit'] as const).flatMap((flag) => {
    const value = filters[flag];
    return value !== undefined ? [`--${flag}=${shellWord(value)}`] : [];
  });
  return `kbisect list ${[...flags, `--cursor=${shellWord(cursor)}`].join(' ')}`;
}

/** A word as a POSIX shell reads it back: plain when it is safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}
