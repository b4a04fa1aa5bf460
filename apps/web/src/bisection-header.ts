import type { BisectionView } from '@kbisect/service';
import { h } from './dom.js';
import { duration, percent, rangeText, shortSha, when } from './format.js';

function verificationText(v: NonNullable<BisectionView['verification']>): string {
  const parts: string[] = [];
  if (v.culprit) parts.push(`culprit re-test ${v.culprit.outcome} (${v.culprit.failures}/${v.culprit.runs} failed)`);
  if (v.parents) parts.push(`parent ${v.parents.outcome === 'confirmed' ? 'clean' : 'not clean'} (${v.parents.failures}/${v.parents.runs} failed)`);
  if (v.revert) parts.push(v.revert.outcome === 'unavailable' ? `revert check unavailable: ${v.revert.reason}` : `revert ${v.revert.outcome} (${v.revert.failures}/${v.revert.runs} failed vs ${v.revert.baselineFailures}/${v.revert.baselineRuns})`);
  return parts.join('; ');
}

/** The header of a bisection: where it is, the culprit with its Fixes: line, confidence, verification. */
export function bisectionHeader(view: BisectionView, subjects: ReadonlyMap<string, string>): HTMLElement {
  const info = view.culprit ? view.commits?.find((c) => c.sha === view.culprit) : undefined;
  const subject = info?.subject ?? (view.culprit ? subjects.get(view.culprit) : undefined) ?? '';
  const rows: [string, Node | string][] = [
    ['Status', h('span', { class: 'status', id: 'status' }, view.status)],
    ['Tree', h('code', {}, view.repo)],
    ['Range', h('code', { title: `${view.good.join(' ')}..${view.bad}` }, rangeText(view.good, view.bad))],
    ['Submitted', `${when(view.createdAt)} by ${view.submittedBy}; ${duration(view.createdAt, view.finishedAt)}${view.finishedAt ? '' : ' so far'}`],
  ];
  if (view.culprit) {
    rows.push(['Culprit', h('span', { id: 'culprit' }, h('code', {}, view.culprit), subject ? ` ${subject}` : '')]);
    if (info) rows.push(['Author', `${info.authorName} <${info.authorEmail}>, ${when(info.authorDate)}`]);
    // A Fixes: line quotes the subject; without one known yet (the finished event brings it) there is no line to copy.
    if (subject) rows.push(['Fixes:', h('code', { id: 'fixes' }, `Fixes: ${shortSha(view.culprit)} ("${subject}")`)]);
  } else if (view.candidates) {
    rows.push(['Culprit', `could be any of ${view.candidates.length}: ${view.candidates.map(shortSha).join(' ')}`]);
  } else if (view.candidatesLeft !== undefined) {
    rows.push(['Left', `${view.candidatesLeft} candidate commits${view.current ? `, about ${view.current.progress.stepsLeft} steps; testing ${shortSha(view.current.commit)}` : ''}`]);
  }
  if (view.confidence !== undefined) rows.push(['Confidence', percent(view.confidence)]);
  if (view.policy) rows.push(['Policy', view.policy]);
  if (view.verification) rows.push(['Verification', verificationText(view.verification)]);
  if (view.error) rows.push(['Error', h('span', { class: 'verdict-bad' }, view.error)]);
  if (view.annotations?.length) {
    rows.push(['Maintainers', h('ul', { id: 'annotations' }, ...view.annotations.map((a) => h('li', {},
      h('strong', {}, a.kind === 'invalid' ? 'result marked invalid' : `culprit overridden to ${a.culprit ? shortSha(a.culprit) : '?'}`),
      ` by ${a.by}, ${when(a.at)}: ${a.reason}`)))]);
  }
  return h('div', { class: 'header-grid', id: 'bisection-header' }, ...rows.flatMap(([k, v]) => [h('strong', {}, k), h('span', {}, v)]));
}
