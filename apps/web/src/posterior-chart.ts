import type { BisectionView } from '@kbisect/service';
import { h } from './dom.js';
import { percent, shortSha } from './format.js';

/** Most likely culprits drawn; the rest of the mass is one line of text. */
const SHOWN = 15;

/**
 * For flaky policies: the posterior over the remaining commits as bars (the
 * percentage is also written, so the bar is never the only carrier), with
 * the runs and failures behind each commit.
 */
export function posteriorChart(view: BisectionView, subjects: ReadonlyMap<string, string>): HTMLElement | null {
  if (!view.posterior?.length) return null;
  const runs = new Map<string, { runs: number; failures: number }>();
  for (const v of view.verdicts) {
    const r = runs.get(v.commit) ?? { runs: 0, failures: 0 };
    runs.set(v.commit, { runs: r.runs + 1, failures: r.failures + (v.verdict === 'bad' ? 1 : 0) });
  }
  const top = [...view.posterior].sort((a, b) => b.probability - a.probability).slice(0, SHOWN);
  const rest = 1 - top.reduce((s, p) => s + p.probability, 0);
  const rows = top.map((p) => {
    const bar = h('span', { class: 'bar' });
    bar.style.width = `${Math.max(0.5, p.probability * 100)}%`;
    const r = runs.get(p.commit);
    return h('tr', {},
      h('td', {}, h('code', {}, shortSha(p.commit)), ' ', subjects.get(p.commit) ?? ''),
      h('td', { class: 'bar-cell' }, bar, h('span', { class: 'bar-text' }, percent(p.probability))),
      h('td', {}, r ? `${r.failures} of ${r.runs} runs failed` : 'not run'));
  });
  return h('section', { id: 'posterior' }, h('h2', {}, 'Posterior'),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'First bad commit?'), h('th', { scope: 'col' }, 'Probability'), h('th', { scope: 'col' }, 'Runs'))),
      h('tbody', {}, ...rows))),
    rest > 0.0005 ? h('p', { class: 'muted' }, `${percent(rest)} on ${view.posterior.length > top.length ? `${view.posterior.length - top.length} other commits` : 'less likely commits not listed'}.`) : null);
}
