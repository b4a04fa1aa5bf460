import { Type, type Static } from '@sinclair/typebox';
import type { BisectionView } from './bisection-view.js';
import { AnnotationSchema } from './log-event.js';
import type { BisectionRequest } from './request-schema.js';
import { culpritSubjectOf } from './search-summary.js';

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
  judgement: Type.Optional(Type.Composite([Type.Pick(AnnotationSchema, ['kind', 'culprit', 'by']), Type.Object({ at: Type.String() })], { description: "A maintainer's latest judgement of the result (the bisection page has every one, with the reasons): the list shows it beside the culprit" })),
});
export type ListItem = Static<typeof ListItemSchema>;

export function reproducerLine(probe: BisectionRequest['probe']): string {
  if (probe.type === 'command') return `command: ${probe.command}`;
  return `kernel: ${[probe.reproducer.name, ...(probe.reproducer.args ?? [])].join(' ')}`;
}

/** The list row of a bisection, from its view and its request. */
export function listItemOf(view: BisectionView, request: BisectionRequest | undefined): ListItem {
  const subject = culpritSubjectOf(view);
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
    ...judgementOf(view),
  };
}

/** The latest annotation, without its reason (free text stays on the bisection's own page and report). */
function judgementOf(view: BisectionView): Pick<ListItem, 'judgement'> {
  const latest = view.annotations?.at(-1);
  if (latest === undefined) return {};
  return { judgement: { kind: latest.kind, ...(latest.culprit !== undefined ? { culprit: latest.culprit } : {}), by: latest.by, at: latest.at } };
}
