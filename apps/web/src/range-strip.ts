import { h, replace } from './dom.js';
import { counted, shortSha } from './format.js';
import type { LaidCommit, Mark, RangeLayout } from './range-layout.js';

const LANE_H = 16;
const COLOURS: Readonly<Record<Mark, string>> = { good: '#1a7f37', bad: '#b3261e', skip: '#9a6700', untestable: '#9a6700', candidate: '#0550ae', testing: '#8250df', out: '#c9ced4' };
const LABELS: Readonly<Record<Mark, string>> = { good: '● good', bad: '✕ bad', skip: '■ skip', untestable: '▨ untestable (shaded)', candidate: '▢ candidate (outlined)', testing: '▲ testing now', out: '· ruled out' };

export interface RangeStrip {
  readonly element: HTMLElement;
  update(layout: RangeLayout): void;
  /** Focuses a commit (a deep link): false when it is not in the range. */
  focus(sha: string): boolean;
}

/**
 * The range as a strip on a canvas (thousands of commits draw in a few
 * milliseconds). Verdicts differ by shape as well as colour; the legend and
 * the summary say the same in text; arrow keys walk the commits and a live
 * region reads out the focused one.
 */
export function rangeStrip(onPick: (commit: LaidCommit) => void): RangeStrip {
  const canvas = h('canvas', { tabindex: 0, role: 'img', 'aria-label': 'Commit range: use the arrow keys to step through commits', id: 'range-canvas' });
  const summary = h('p', { id: 'range-summary' });
  const focused = h('p', { 'aria-live': 'polite', id: 'range-focus', class: 'mono' });
  const legend = h('div', { class: 'legend' }, ...(Object.keys(LABELS) as Mark[]).map((m) => h('span', { style: undefined }, LABELS[m])));
  const element = h('div', { class: 'strip-wrap' }, canvas, legend, summary, focused);
  let layout: RangeLayout | undefined;
  let cursor = -1;

  const draw = (): void => {
    if (!layout) return;
    const width = Math.max(200, canvas.clientWidth || 1000);
    const dpr = window.devicePixelRatio || 1;
    const height = layout.lanes * LANE_H + 8;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.height = `${height}px`;
    const g = canvas.getContext('2d');
    if (!g) return;
    g.scale(dpr, dpr);
    const n = layout.commits.length;
    const step = width / Math.max(n, 1);
    const size = Math.max(2, Math.min(10, step - 1));
    for (const c of layout.commits) {
      const x = c.x * step + step / 2;
      const y = 4 + c.lane * LANE_H + LANE_H / 2;
      if (c.mark === 'untestable') {
        g.fillStyle = '#f3e8c9';
        g.fillRect(c.x * step, 0, Math.max(step, 1), height);
      }
      g.fillStyle = COLOURS[c.mark];
      g.strokeStyle = COLOURS[c.mark];
      g.lineWidth = 1.5;
      switch (c.mark) {
        case 'good': g.beginPath(); g.arc(x, y, size / 2, 0, Math.PI * 2); g.fill(); break;
        case 'bad': g.beginPath(); g.moveTo(x - size / 2, y - size / 2); g.lineTo(x + size / 2, y + size / 2); g.moveTo(x + size / 2, y - size / 2); g.lineTo(x - size / 2, y + size / 2); g.stroke(); break;
        case 'skip': case 'untestable': g.fillRect(x - size / 2, y - size / 2, size, size); break;
        case 'testing': g.beginPath(); g.moveTo(x, y - size / 2 - 1); g.lineTo(x + size / 2 + 1, y + size / 2); g.lineTo(x - size / 2 - 1, y + size / 2); g.fill(); break;
        case 'out': g.fillRect(x - 0.5, y - 1, 1, 2); break;
        case 'candidate': break;
      }
      if (c.candidate) {
        g.strokeStyle = COLOURS.candidate;
        g.lineWidth = 1;
        g.strokeRect(x - size / 2 - 1, y - size / 2 - 1, size + 2, size + 2);
      }
    }
    if (cursor >= 0 && cursor < n) {
      g.strokeStyle = '#000';
      g.lineWidth = 2;
      g.strokeRect(cursor * step, 1, Math.max(step, 2), height - 2);
    }
  };

  const pick = (index: number): void => {
    if (!layout || layout.commits.length === 0) return;
    cursor = Math.max(0, Math.min(layout.commits.length - 1, index));
    const c = layout.commits[cursor]!;
    replace(focused, `${shortSha(c.sha)} ${c.subject} — ${LABELS[c.mark]}${c.candidate && c.mark !== 'candidate' ? ', still a candidate' : ''}${c.reason ? ` (${c.reason})` : ''}`);
    draw();
    onPick(c);
  };

  canvas.addEventListener('keydown', (event) => {
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, PageUp: 20, PageDown: -20 };
    if (event.key === 'Home') pick(0);
    else if (event.key === 'End') pick((layout?.commits.length ?? 1) - 1);
    else if (moves[event.key] !== undefined) pick((cursor < 0 ? 0 : cursor) + moves[event.key]!);
    else return;
    event.preventDefault();
  });
  canvas.addEventListener('click', (event) => {
    if (!layout) return;
    const rect = canvas.getBoundingClientRect();
    pick(Math.floor(((event.clientX - rect.left) / rect.width) * layout.commits.length));
  });
  window.addEventListener('resize', draw);

  return {
    element,
    focus(sha) {
      const index = layout?.commits.findIndex((c) => c.sha === sha || (sha.length >= 7 && c.sha.startsWith(sha))) ?? -1;
      if (index < 0) return false;
      pick(index);
      return true;
    },
    update(next) {
      layout = next;
      const c = next.counts;
      const stretch = next.untestableReasons.map((r) => `${r.count} untestable: ${r.reason}`).join('; ');
      const left = next.commits.filter((x) => x.candidate).length;
      replace(summary, `${counted(next.commits.length, 'commit')}; tested ${c.good} good, ${c.bad} bad, ${c.skip} skipped; ${counted(left, 'candidate')} left${stretch ? `; ${stretch}` : ''}.`);
      summary.setAttribute('data-candidates', String(left));
      summary.setAttribute('data-tested', String(c.good + c.bad + c.skip));
      draw();
    },
  };
}
