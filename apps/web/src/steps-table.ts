import type { BisectionView, CommitInfo } from '@kbisect/service';
import { h } from './dom.js';
import { evidenceHref, type EvidenceLink } from './evidence-link.js';
import { VERDICT_MARK, seconds, shortSha } from './format.js';
import { runOf } from './service-values.js';

type Verdict = BisectionView['verdicts'][number];

/** Rows drawn at once: a 2,000-step flaky bisection stays quick to open; the pager walks the rest. */
export const STEPS_PAGE = 200;

/** Metrics shown in their own columns (Build, Boot), not again among the reproducer's numbers. */
const TIMED = new Set(['buildSeconds', 'totalSeconds']);
const COLUMNS = ['#', 'Commit', 'Subject', 'Purpose', 'Verdict', 'Reason', 'Machine', 'Build', 'Boot', 'Runs', 'Metrics', 'Evidence'];

/** The boot test's time; a command probe boots nothing, so its cell says how long the command ran. */
function bootCell(v: Verdict): HTMLTableCellElement {
  if (v.bootSeconds !== undefined) return h('td', { class: 'num boot-time' }, seconds(v.bootSeconds));
  const ranCommand = v.buildSeconds === undefined && v.durationMs !== undefined;
  return h('td', { class: 'num boot-time', ...(ranCommand ? { title: 'nothing booted: the test command ran this long' } : {}) }, ranCommand ? `run ${seconds(v.durationMs! / 1000)}` : '');
}

/**
 * A verdict the shared verdict cache answered was tested by another
 * bisection: the row says which, and its evidence opens on that
 * bisection's page (the names are under its id, not this one's).
 */
function reusedLinks(v: Verdict): { readonly from: HTMLElement; readonly evidence: HTMLElement[] } | undefined {
  const r = v.reused;
  if (!r) return undefined;
  const logs: (EvidenceLink & { readonly label: string })[] = [
    ...(r.evidence ? [{ name: r.evidence, kind: 'console' as const, label: 'output' }] : []),
    ...(r.buildEvidence ? [{ name: r.buildEvidence, kind: 'build' as const, label: 'build log' }] : []),
  ];
  const first = logs[0];
  const href = first ? evidenceHref(r.bisection, v.commit, first) : `/b/${encodeURIComponent(r.bisection)}#commit=${v.commit}`;
  return {
    from: h('a', { class: 'reused-from', href, 'data-nav': true, title: `tested by bisection ${r.bisection} (run ${r.run + 1}); its evidence opens there` }, `reused from ${r.bisection.slice(0, 8)}`),
    evidence: logs.map((l) => h('a', { class: 'reused-evidence', href: evidenceHref(r.bisection, v.commit, l), 'data-nav': true, title: `the ${l.label} of bisection ${r.bisection}` }, `${l.label} (original)`)),
  };
}

/** The steps, in the order the verdicts came, a page at a time; evidence buttons open the viewer. */
export function stepsTable(view: BisectionView, subjects: ReadonlyMap<string, string>, openEvidence: (name: string, kind: 'console' | 'build') => void, page = 0, onPage?: (page: number) => void): HTMLElement {
  const infos = new Map<string, CommitInfo>((view.commits ?? []).map((c) => [c.sha, c]));
  // Runs of a commit for one purpose (a flaky policy tests a commit again): "2/3" is the second of three.
  const runsOf = new Map<string, number>();
  const runKeyOf = (v: Verdict): string => `${v.commit}:${runOf(v).purpose}`;
  for (const v of view.verdicts) runsOf.set(runKeyOf(v), (runsOf.get(runKeyOf(v)) ?? 0) + 1);
  const row = (v: Verdict, i: number): HTMLTableRowElement => {
    const reused = reusedLinks(v);
    return h('tr', { 'data-commit': v.commit, 'data-verdict': v.verdict, ...(v.reused ? { 'data-reused-from': v.reused.bisection } : {}) },
      h('td', {}, i + 1),
      h('td', {}, h('code', { title: v.commit }, shortSha(v.commit))),
      h('td', { class: 'hide-narrow' }, infos.get(v.commit)?.subject ?? subjects.get(v.commit) ?? ''),
      h('td', {}, runOf(v).purpose),
      h('td', { class: `verdict-${v.verdict}` }, VERDICT_MARK[v.verdict] ?? v.verdict, v.source !== 'probe' ? ` (${v.source}${v.by ? ` by ${v.by}` : ''})` : '', reused ? h('br') : null, reused?.from),
      h('td', {}, v.reason),
      h('td', {}, v.machine ?? ''),
      h('td', { class: 'num build-time' }, seconds(v.buildSeconds)),
      bootCell(v),
      h('td', { class: 'num' }, `${runOf(v).run + 1}/${runsOf.get(runKeyOf(v)) ?? 1}`),
      h('td', { class: 'hide-narrow mono' }, Object.entries(v.metrics ?? {}).filter(([k]) => !TIMED.has(k)).map(([k, n]) => `${k}=${n}`).join(' ')),
      h('td', {},
        v.evidence ? h('button', { type: 'button', class: 'evidence-open', onclick: () => openEvidence(v.evidence!, 'console') }, 'output') : null,
        v.buildEvidence ? h('button', { type: 'button', onclick: () => openEvidence(v.buildEvidence!, 'build') }, 'build log') : null,
        ...(reused?.evidence ?? [])));
  };
  const pages = Math.ceil(view.verdicts.length / STEPS_PAGE);
  const at = Math.min(Math.max(page, 0), Math.max(pages - 1, 0));
  const first = at * STEPS_PAGE;
  const shown = view.verdicts.slice(first, first + STEPS_PAGE);
  const pager = pages > 1 && onPage
    ? h('div', { class: 'row', id: 'steps-pager' },
      h('span', {}, `Steps ${first + 1}–${first + shown.length} of ${view.verdicts.length}`),
      at > 0 ? h('button', { type: 'button', onclick: () => onPage(at - 1) }, '← Earlier') : null,
      at < pages - 1 ? h('button', { type: 'button', onclick: () => onPage(at + 1) }, 'Later →') : null,
      at < pages - 1 ? h('button', { type: 'button', onclick: () => onPage(pages - 1) }, 'Last') : null)
    : null;
  return h('div', { class: 'table-wrap' }, pager, h('table', { id: 'steps' },
    h('thead', {}, h('tr', {}, ...COLUMNS.map((c, i) => h('th', { scope: 'col', ...(i === 2 || i === 10 ? { class: 'hide-narrow' } : {}) }, c)))),
    h('tbody', {}, ...shown.map((v, i) => row(v, first + i)))));
}
