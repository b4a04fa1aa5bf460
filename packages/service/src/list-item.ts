import { Type, type Static } from '@sinclair/typebox';
import type { BisectionView } from './bisection-view.js';
import type { BisectionRequest } from './request-schema.js';

/** One row of GET /bisections: the first five fields as before, the rest what a triage list shows. */
export const ListItemSchema = Type.Object({
  id: Type.String(),
  status: Type.String(),
  repo: Type.String(),
  createdAt: Type.String(),
  submittedBy: Type.String(),
  good: Type.Optional(Type.Array(Type.String())),
  bad: Type.Optional(Type.String()),
  reproducer: Type.Optional(Type.String({ description: "The probe in one line: 'command: <cmd>' or 'kernel: <reproducer> <args>'" })),
  finishedAt: Type.Optional(Type.String()),
  steps: Type.Optional(Type.Integer()),
  culprit: Type.Optional(Type.String()),
  culpritSubject: Type.Optional(Type.String()),
  candidates: Type.Optional(Type.Integer({ description: 'When ambiguous: how many commits could be the culprit' })),
  candidatesLeft: Type.Optional(Type.Integer({ description: 'While running: commits still in the range' })),
  confidence: Type.Optional(Type.Number()),
});
export type ListItem = Static<typeof ListItemSchema>;

export function reproducerLine(probe: BisectionRequest['probe']): string {
  if (probe.type === 'command') return `command: ${probe.command}`;
  return `kernel: ${[probe.reproducer.name, ...(probe.reproducer.args ?? [])].join(' ')}`;
}

/** The list row of a bisection, from its view and its request. */
export function listItemOf(view: BisectionView, request: BisectionRequest | undefined): ListItem {
  const subject = view.culprit ? view.commits?.find((c) => c.sha === view.culprit)?.subject : undefined;
  return {
    id: view.id,
    status: view.status,
    repo: view.repo,
    createdAt: view.createdAt,
    submittedBy: view.submittedBy,
    good: view.good,
    bad: view.bad,
    steps: view.steps,
    ...(request ? { reproducer: reproducerLine(request.probe) } : {}),
    ...(view.finishedAt ? { finishedAt: view.finishedAt } : {}),
    ...(view.culprit ? { culprit: view.culprit } : {}),
    ...(subject !== undefined ? { culpritSubject: subject } : {}),
    ...(view.candidates ? { candidates: view.candidates.length } : {}),
    ...(view.candidatesLeft !== undefined ? { candidatesLeft: view.candidatesLeft } : {}),
    ...(view.confidence !== undefined ? { confidence: view.confidence } : {}),
  };
}

/** Whether a row matches the list's text filter: a culprit or candidate sha prefix, or words of the culprit's subject. */
export function matchesText(item: ListItem, view: BisectionView, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle === '') return true;
  if (/^[0-9a-f]{4,40}$/.test(needle) && [view.culprit, ...(view.candidates ?? []), ...(view.commits ?? []).map((c) => c.sha)].some((sha) => sha?.startsWith(needle))) return true;
  const haystack = [item.culpritSubject, ...(view.commits ?? []).map((c) => c.subject)].filter((s): s is string => s !== undefined).join('\n').toLowerCase();
  return haystack.includes(needle);
}
