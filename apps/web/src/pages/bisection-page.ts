import type { BisectionView, LogEvent, RangeView } from '@kbisect/service';
import { ApiFailure, getJson, getText } from '../api-client.js';
import { bisectionActions } from '../bisection-actions.js';
import { bisectionHeader } from '../bisection-header.js';
import { h, replace } from '../dom.js';
import { errorNotice } from '../error-notice.js';
import { evidenceOfHash } from '../evidence-link.js';
import { bisectionEnded } from '../console-liveness.js';
import { liveConsole } from '../live-console.js';
import { replaceWithLog } from '../log-viewer.js';
import { posteriorChart } from '../posterior-chart.js';
import type { PageContext } from '../page-context.js';
import { layoutRange } from '../range-layout.js';
import { rangeStrip } from '../range-strip.js';
import { stepsTable } from '../steps-table.js';

const REFRESH_DEBOUNCE_MS = 250;
/** The log's event types, each an SSE event name; all but step-progress change the view. */
const EVENT_TYPES: readonly LogEvent['type'][] = ['created', 'initialized', 'step-started', 'verdict', 'step-progress', 'report-facts', 'revert-unavailable', 'cancel-requested', 'annotation', 'failed', 'finished'];

/** Sets one deep-link parameter in the fragment, keeping the others (#commit=…&evidence=…). */
function setHashParams(values: Record<string, string | undefined>): void {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) p.delete(k);
    else p.set(k, v);
  }
  history.replaceState(null, '', `#${p.toString()}`);
}

/**
 * One bisection: header, the range picture, steps, evidence, report and
 * actions. It follows the bisection's event stream (EventSource resumes
 * with Last-Event-ID after a drop) and redraws from the view on each event.
 */
export async function bisectionPage({ main, onLeave }: PageContext, id: string): Promise<void> {
  const header = h('div');
  const live = h('p', { class: 'muted', id: 'live', 'aria-live': 'polite' });
  const actionsSlot = h('div');
  const posteriorSlot = h('div');
  const stepsSlot = h('div');
  const evidence = h('div', { id: 'evidence' });
  const consoles = liveConsole();
  const report = h('pre', { class: 'report', id: 'report' });
  let actions: ReturnType<typeof bisectionActions> | undefined;
  const strip = rangeStrip((c) => {
    actions?.pick(c.sha);
    setHashParams({ commit: c.sha });
  });
  const stripSlot = h('section', { id: 'range' }, h('h2', {}, 'Range'), strip.element);
  stripSlot.hidden = true;
  const copy = h('button', { type: 'button', id: 'copy-report' }, 'Copy report');
  copy.addEventListener('click', () => void navigator.clipboard.writeText(report.textContent ?? '').then(() => (copy.textContent = 'Copied'), () => (copy.textContent = 'Copy failed: select the text')));
  replace(main, h('h1', {}, 'Bisection ', h('code', {}, id.slice(0, 8))), header, live, stripSlot, posteriorSlot, actionsSlot,
    h('h2', {}, 'Steps'), stepsSlot, h('h2', {}, 'Evidence'), consoles.element, evidence,
    h('h2', {}, 'Report'), h('div', { class: 'row' }, copy, h('a', { href: `/api/v1/bisections/${id}/log`, download: `bisect-${id}.log`, id: 'bisect-log' }, 'Download git bisect log')),
    // Folded until asked for: a long report is not laid out on every redraw.
    h('details', { id: 'report-details' }, h('summary', {}, 'The plain-text report'), report));

  let subjects = new Map<string, string>();
  const openEvidence = (name: string, kind: 'console' | 'build'): void => {
    setHashParams({ evidence: name, kind: kind === 'build' ? 'build' : undefined });
    replace(evidence, h('p', { class: 'muted' }, `Loading ${name}…`));
    const url = `/api/v1/bisections/${id}/evidence/${encodeURIComponent(name)}`;
    getText(url).then((text) => {
      replaceWithLog(evidence, text, kind, name, url);
      // User Timing marks: bench/ui.ts reads how long after navigation the page was usable.
      performance.mark('kbisect:evidence-drawn');
    }, (err: unknown) => replace(evidence, errorNotice(err)));
  };

  let lastStatus = '';
  let latest: BisectionView | undefined;
  let stepsPage = 0;
  const drawSteps = (): void => {
    if (!latest) return;
    replace(stepsSlot, latest.verdicts.length > 0 ? stepsTable(latest, subjects, openEvidence, stepsPage, (p) => { stepsPage = p; drawSteps(); }) : h('p', { class: 'muted' }, 'No step has finished yet.'));
  };
  // The view, the range and the report are independent reads: fetched together, drawn together.
  const refresh = async (): Promise<void> => {
    const rangeOrNone = getJson<RangeView>(`/api/v1/bisections/${id}/range`).catch((err: unknown) => {
      if (err instanceof ApiFailure && err.code === 'KBISECT_ERR_NOT_READY') return undefined;
      throw err;
    });
    const [view, range, text] = await Promise.all([getJson<BisectionView>(`/api/v1/bisections/${id}`), rangeOrNone, getText(`/api/v1/bisections/${id}/report`)]);
    if (view.status !== lastStatus) {
      actions = bisectionActions(view, () => void refresh());
      replace(actionsSlot, actions.element);
      lastStatus = view.status;
    }
    if (range) {
      if (range.subjects && subjects.size === 0) subjects = new Map(range.commits.map((c, i) => [c, range.subjects![i] ?? '']));
      strip.update(layoutRange(range, view));
      stripSlot.hidden = false;
    }
    replace(header, bisectionHeader(view, subjects));
    replace(posteriorSlot, posteriorChart(view, subjects));
    latest = view;
    consoles.follow(view);
    // The progress line is the running step's: an ended bisection has none.
    if (bisectionEnded(view)) live.textContent = '';
    drawSteps();
    report.textContent = text;
  };
  // A deep link's evidence loads alongside the page, not after it.
  const deep = evidenceOfHash(location.hash);
  if (deep) openEvidence(deep.name, deep.kind);
  await refresh();
  performance.mark('kbisect:page-drawn');
  // A deep link to a commit (#commit=<sha>) focuses it in the picture.
  const commit = new URLSearchParams(location.hash.slice(1)).get('commit');
  if (commit && /^[0-9a-f]{7,40}$/.test(commit)) strip.focus(commit);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (): void => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      refresh().catch((err: unknown) => replace(live, errorNotice(err)));
    }, REFRESH_DEBOUNCE_MS);
  };
  const events = new EventSource(`/api/v1/bisections/${id}/events`);
  const onEvent = (event: MessageEvent<string>): void => {
    if (event.type === 'step-progress') {
      try {
        const data = JSON.parse(event.data) as { commit?: unknown; phase?: string; message?: string; lines?: unknown };
        if (data.phase === 'console' && typeof data.commit === 'string' && Array.isArray(data.lines)) {
          consoles.add(data.commit, data.lines.filter((l): l is string => typeof l === 'string'));
          return;
        }
        if (data.message && !(latest && bisectionEnded(latest))) live.textContent = `${data.phase ?? ''}: ${data.message}`.slice(0, 200);
      } catch {
        // A malformed message changes nothing on the page.
      }
      return;
    }
    schedule();
    if (event.type === 'finished') events.close();
  };
  for (const type of EVENT_TYPES) events.addEventListener(type, onEvent);
  events.addEventListener('error', () => (live.textContent = events.readyState === EventSource.CLOSED ? '' : 'Connection lost; reconnecting…'));
  onLeave(() => {
    events.close();
    if (timer !== undefined) clearTimeout(timer);
  });
}
