import type { BisectionView, CommitInfo } from '@kbisect/service';
import { h } from './dom.js';
import { VERDICT_MARK, shortSha } from './format.js';

type Verdict = BisectionView['verdicts'][number];

/** The steps, in the order the verdicts came; evidence buttons open the viewer. */
export function stepsTable(view: BisectionView, subjects: ReadonlyMap<string, string>, openEvidence: (name: string, kind: 'console' | 'build') => void): HTMLElement {
  const infos = new Map<string, CommitInfo>((view.commits ?? []).map((c) => [c.sha, c]));
  const row = (v: Verdict, i: number): HTMLTableRowElement => h('tr', { 'data-commit': v.commit, 'data-verdict': v.verdict },
    h('td', {}, i + 1),
    h('td', {}, h('code', { title: v.commit }, shortSha(v.commit))),
    h('td', { class: 'hide-narrow' }, infos.get(v.commit)?.subject ?? subjects.get(v.commit) ?? ''),
    h('td', {}, v.purpose ?? 'bisect', v.run ? ` #${v.run + 1}` : ''),
    h('td', { class: `verdict-${v.verdict}` }, VERDICT_MARK[v.verdict] ?? v.verdict, v.source !== 'probe' ? ` (${v.source})` : ''),
    h('td', {}, v.reason),
    h('td', {}, v.machine ?? ''),
    h('td', { class: 'hide-narrow mono' }, Object.entries(v.metrics ?? {}).map(([k, n]) => `${k}=${n}`).join(' ')),
    h('td', {},
      v.evidence ? h('button', { type: 'button', class: 'evidence-open', onclick: () => openEvidence(v.evidence!, 'console') }, 'output') : null,
      v.buildEvidence ? h('button', { type: 'button', onclick: () => openEvidence(v.buildEvidence!, 'build') }, 'build log') : null));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'steps' },
    h('thead', {}, h('tr', {}, ...['#', 'Commit', 'Subject', 'Purpose', 'Verdict', 'Reason', 'Machine', 'Metrics', 'Evidence'].map((c, i) => h('th', { scope: 'col', ...(i === 2 || i === 7 ? { class: 'hide-narrow' } : {}) }, c)))),
    h('tbody', {}, ...view.verdicts.map(row))));
}
