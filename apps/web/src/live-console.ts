import { consoleLiveness, consoleTitle, type LivenessView } from './console-liveness.js';
import { h, replace } from './dom.js';
import { shortSha } from './format.js';
import { logView, type LogView } from './log-viewer.js';

/** Commits whose live consoles are kept (multisection runs several); the oldest is dropped beyond it. */
const KEPT_CONSOLES = 4;

export interface LiveConsole {
  readonly element: HTMLElement;
  /** A batch of console lines of the step testing `commit`, as the event stream delivers it. */
  add(commit: string, lines: readonly string[]): void;
  /** The latest view of the bisection: a console whose step (or bisection) has ended is no longer labelled live. */
  follow(view: LivenessView): void;
}

/**
 * The consoles of the running lab steps, streamed line by line into the
 * evidence viewer (a virtualised log each, with the classifier's lines
 * marked), so a maintainer watches a kernel boot without waiting for the
 * stored evidence. Hidden until a first line arrives; the newest commit's
 * console is shown, the others a click away. Only a step still running is
 * called live: the stream of a finished bisection replays consoles of
 * steps long over, and those say they have ended.
 */
export function liveConsole(): LiveConsole {
  const views = new Map<string, LogView>();
  const picker = h('div', { class: 'row', 'aria-label': 'Streamed consoles' });
  const slot = h('div');
  const heading = h('h3', {}, 'Live console');
  const element = h('section', { id: 'live-console' }, heading, picker, slot);
  element.hidden = true;
  let latest: LivenessView | undefined;
  // Each console's title and data-live follow the view; the section is "live" while one of them is.
  const label = (commit: string, view: LogView): void => {
    const liveness = consoleLiveness(latest, commit);
    view.setLive(liveness === 'live', consoleTitle(shortSha(commit), liveness));
  };
  const labelAll = (): void => {
    for (const [commit, view] of views) label(commit, view);
    const anyLive = [...views.keys()].some((c) => consoleLiveness(latest, c) === 'live');
    heading.textContent = anyLive ? 'Live console' : 'Streamed console';
    element.dataset.live = anyLive ? 'true' : 'false';
  };
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
      const liveness = consoleLiveness(latest, commit);
      view = logView('console', consoleTitle(shortSha(commit), liveness), { live: liveness === 'live' });
      views.set(commit, view);
      if (views.size > KEPT_CONSOLES) views.delete(views.keys().next().value!);
      element.hidden = false;
      labelAll();
      // Its lines first: a replayed (not live) console drawn before them would read "Empty" for a frame.
      view.append(lines);
      show(commit);
      return;
    }
    view.append(lines);
  };
  const follow = (view: LivenessView): void => {
    latest = view;
    labelAll();
  };
  return { element, add, follow };
}
