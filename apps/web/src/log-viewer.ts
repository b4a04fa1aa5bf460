import { h, replace } from './dom.js';
import { classifyLine, type LineClass } from './log-classes.js';

const LINE_H = 18;
const OVERSCAN = 30;
const MAX_MARKS = 100;

/**
 * A virtualised log: only the lines in view (plus a margin) are in the DOM,
 * so a 5 MB console opens and scrolls without freezing the tab. Marked lines
 * (crashes, the result line, a build's errors) are listed as buttons that
 * jump to them; a build log opens at its first error.
 */
export function logViewer(text: string, kind: 'console' | 'build', title: string): HTMLElement {
  const lines = text.split('\n');
  const classes: LineClass[] = new Array<LineClass>(lines.length);
  const marks: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const c = classifyLine(lines[i]!, kind);
    classes[i] = c;
    if (c && marks.length < MAX_MARKS) marks.push(i);
  }
  const inner = h('div', { class: 'log-inner' });
  inner.style.height = `${lines.length * LINE_H}px`;
  const box = h('div', { class: 'log', tabindex: 0, role: 'log', 'aria-label': `${title}: ${lines.length} lines` }, inner);
  let shown = '';
  const paint = (): void => {
    const first = Math.max(0, Math.floor(box.scrollTop / LINE_H) - OVERSCAN);
    const last = Math.min(lines.length, Math.ceil((box.scrollTop + (box.clientHeight || 420)) / LINE_H) + OVERSCAN);
    const key = `${first}:${last}`;
    if (key === shown) return;
    shown = key;
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const div = document.createElement('div');
      const c = classes[i];
      div.className = c ? `log-line ${c}` : 'log-line';
      div.style.top = `${i * LINE_H}px`;
      div.textContent = lines[i]!;
      div.dataset.line = String(i + 1);
      frag.append(div);
    }
    inner.replaceChildren(frag);
  };
  const jump = (line: number): void => {
    box.scrollTop = Math.max(0, line * LINE_H - 3 * LINE_H);
    paint();
  };
  box.addEventListener('scroll', paint, { passive: true });
  const markList = h('div', { class: 'row', 'aria-label': 'Marked lines' },
    ...(marks.length === 0 ? [h('span', { class: 'muted' }, kind === 'console' ? 'No panic, oops or result line.' : 'No error lines.')] : marks.slice(0, 12).map((i) => h('button', { type: 'button', class: 'mark-jump', onclick: () => jump(i) }, `line ${i + 1}: ${lines[i]!.trim().slice(0, 60)}`))),
    marks.length > 12 ? h('span', { class: 'muted' }, `… ${marks.length - 12} more marked`) : null);
  const wrap = h('section', { class: 'evidence', 'data-kind': kind }, h('h3', {}, `${title} (${lines.length} lines)`), markList, box);
  // Paint once attached (clientHeight is 0 before); a build log opens at its first error.
  requestAnimationFrame(() => {
    if (kind === 'build' && marks.length > 0) jump(marks[0]!);
    else paint();
  });
  paint();
  return wrap;
}

export function replaceWithLog(target: HTMLElement, text: string, kind: 'console' | 'build', title: string): void {
  replace(target, logViewer(text, kind, title));
}
