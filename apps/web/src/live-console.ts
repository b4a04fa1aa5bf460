import { h, replace } from './dom.js';
import { shortSha } from './format.js';
import { logView, type LogView } from './log-viewer.js';

/** Commits whose live consoles are kept (multisection runs several); the oldest is dropped beyond it. */
const KEPT_CONSOLES = 4;

export interface LiveConsole {
  readonly element: HTMLElement;
  /** A batch of console lines of the step testing `commit`, as the event stream delivers it. */
  add(commit: string, lines: readonly string[]): void;
}

/**
 * The consoles of the running lab steps, streamed line by line into the
 * evidence viewer (a virtualised log each, with the classifier's lines
 * marked), so a maintainer watches a kernel boot without waiting for the
 * stored evidence. Hidden until a first line arrives; the newest commit's
 * console is shown, the others a click away.
 */
export function liveConsole(): LiveConsole {
  const views = new Map<string, LogView>();
  const picker = h('div', { class: 'row', 'aria-label': 'Live consoles' });
  const slot = h('div');
  const element = h('section', { id: 'live-console' }, h('h3', {}, 'Live console'), picker, slot);
  element.hidden = true;
  const show = (commit: string): void => {
    const view = views.get(commit);
    if (!view) return;
    replace(slot, view.element);
    picker.hidden = views.size < 2;
    replace(picker, ...(views.size > 1
      ? [...views.keys()].map((c) => h('button', { type: 'button', 'aria-pressed': c === commit ? 'true' : 'false', onclick: () => show(c) }, shortSha(c)))
      : []));
    view.flush();
  };
  const add = (commit: string, lines: readonly string[]): void => {
    let view = views.get(commit);
    if (!view) {
      view = logView('console', `Console of ${shortSha(commit)}, live`, { live: true });
      views.set(commit, view);
      if (views.size > KEPT_CONSOLES) views.delete(views.keys().next().value!);
      element.hidden = false;
      show(commit);
    }
    view.append(lines);
  };
  return { element, add };
}
