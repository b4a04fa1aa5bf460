import { h, replace } from './dom.js';
import { classifyLine, type LineClass } from './log-classes.js';
import { lineCountText, linesOfText } from './log-lines.js';
import { screenLine } from './screen-line.js';

const LINE_H = 18;
/** The box's full height (app.css's .log). */
const BOX_H = 420;
const SCROLLBAR_H = 18;
/** app.css's .log border, top and bottom. */
const BORDER_H = 2;
const OVERSCAN = 30;
const MAX_MARKS = 100;
const SHOWN_MARKS = 12;

/** A log the viewer draws; a live console grows with `append`. */
export interface LogView {
  readonly element: HTMLElement;
  /** Adds lines at the end; a viewer scrolled to the end follows them. */
  append(lines: readonly string[]): void;
  readonly lineCount: number;
  /** Draws now (what `append` would draw on the next frame, or the lines in view after the viewer was attached). */
  flush(): void;
  /** Scrolls to the first marked line, if any (a build log's first error). */
  jumpToFirstMark(): void;
  /** Whether the log still grows: a live one follows its tail and is marked `data-live`; either way the title says which. */
  setLive(live: boolean, title: string): void;
}

/**
 * A virtualised log: only the lines in view (plus a margin) are in the DOM,
 * so a 5 MB console opens and scrolls without freezing the tab, and a live
 * console can grow for an hour. Marked lines (crashes, the result line, a
 * build's errors) are listed as buttons that jump to them; a build log
 * opens at its first error. Repaints wait for the next frame, so a burst of
 * appended batches costs one paint. Lines are drawn as a terminal showed
 * them (screenLine); the raw file link serves every byte.
 */
export function logView(kind: 'console' | 'build', initialTitle: string, opts: { readonly live?: boolean; readonly rawHref?: string } = {}): LogView {
  let title = initialTitle;
  let live = opts.live === true;
  const lines: string[] = [];
  const classes: LineClass[] = [];
  const marks: number[] = [];
  let markCount = 0;
  const inner = h('div', { class: 'log-inner' });
  const box = h('div', { class: 'log', tabindex: 0, role: 'log', 'aria-label': title }, inner);
  const heading = h('h3');
  const markList = h('div', { class: 'row', 'aria-label': 'Marked lines' });
  let shown = '';
  const paint = (): void => {
    const first = Math.max(0, Math.floor(box.scrollTop / LINE_H) - OVERSCAN);
    const last = Math.min(lines.length, Math.ceil((box.scrollTop + (box.clientHeight || BOX_H)) / LINE_H) + OVERSCAN);
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
  const drawMarks = (): void => {
    replace(markList,
      ...(marks.length === 0
        ? [h('span', { class: 'muted' }, kind === 'console' ? 'No panic, oops or result line.' : 'No error lines.')]
        : marks.slice(0, SHOWN_MARKS).map((i) => h('button', { type: 'button', class: 'mark-jump', onclick: () => jump(i) }, `line ${i + 1}: ${lines[i]!.trim().slice(0, 60)}`))),
      markCount > SHOWN_MARKS ? h('span', { class: 'muted' }, `… ${markCount - SHOWN_MARKS} more marked`) : null);
  };
  let frame = 0;
  let follow = live;
  box.addEventListener('scroll', () => {
    // A reader who scrolls up stops following the tail; scrolling back to the end resumes it.
    if (live) follow = box.scrollTop + box.clientHeight >= box.scrollHeight - 2 * LINE_H;
    paint();
  }, { passive: true });
  const label = (): void => {
    const count = live && lines.length === 0 ? 'no lines yet' : lineCountText(lines.length);
    heading.textContent = `${title} (${count})`;
    box.setAttribute('aria-label', `${title}: ${count}`);
  };
  const redraw = (): void => {
    frame = 0;
    inner.style.height = `${lines.length * LINE_H}px`;
    label();
    // A stored file with nothing in it says so; an empty box read as a viewer that failed to load.
    const empty = lines.length === 0 && !live;
    box.hidden = empty;
    // A stored log's box fits it up to the full height (room left for a horizontal scrollbar); a live one keeps
    // the full height so the page does not move as lines arrive.
    box.style.height = live ? '' : `${Math.min(BOX_H, lines.length * LINE_H + SCROLLBAR_H + BORDER_H)}px`;
    if (empty) replace(markList, h('span', { class: 'muted empty-log' }, kind === 'console' ? 'Empty: nothing was printed.' : 'Empty: the build printed nothing.'));
    else drawMarks();
    shown = '';
    if (follow) box.scrollTop = box.scrollHeight;
    paint();
  };
  const append = (more: readonly string[]): void => {
    const marksBefore = markCount;
    for (const raw of more) {
      const line = screenLine(raw);
      const c = classifyLine(line, kind);
      if (c) {
        if (marks.length < MAX_MARKS) marks.push(lines.length);
        markCount++;
      }
      lines.push(line);
      classes.push(c);
    }
    if (frame === 0) frame = requestAnimationFrame(redraw);
    // The marks are what a reader looks for first: a new one is drawn at once, not a frame later.
    if (markCount !== marksBefore && markCount <= SHOWN_MARKS) drawMarks();
  };
  // The file as stored, every byte (escape sequences, backspaces): what the viewer cleaned up for reading.
  const raw = opts.rawHref ? h('a', { href: opts.rawHref, class: 'raw-log', target: '_blank', rel: 'noopener' }, 'Raw file') : null;
  const element = h('section', { class: 'evidence', 'data-kind': kind, ...(opts.live ? { 'data-live': 'true' } : {}) }, heading, raw, markList, box);
  const flush = (): void => {
    if (frame !== 0) cancelAnimationFrame(frame);
    redraw();
  };
  const jumpToFirstMark = (): void => {
    if (marks.length > 0) jump(marks[0]!);
  };
  const setLive = (nowLive: boolean, nowTitle: string): void => {
    if (nowLive === live && nowTitle === title) return;
    // A console that came back to life (the commit tested again) follows its new lines from the end.
    if (nowLive && !live) follow = true;
    live = nowLive;
    title = nowTitle;
    if (live) element.dataset.live = 'true';
    else delete element.dataset.live;
    flush();
  };
  return { element, append, flush, jumpToFirstMark, setLive, get lineCount() { return lines.length; } };
}

/** A stored log, drawn whole at once; a build log opens at its first error. `rawHref` links the file as stored. */
export function replaceWithLog(target: HTMLElement, text: string, kind: 'console' | 'build', title: string, rawHref?: string): void {
  const view = logView(kind, title, rawHref !== undefined ? { rawHref } : {});
  view.append(linesOfText(text));
  view.flush();
  replace(target, view.element);
  // Once attached (clientHeight is 0 before), the lines in view are painted for the real height.
  requestAnimationFrame(() => (kind === 'build' ? view.jumpToFirstMark() : view.flush()));
}
