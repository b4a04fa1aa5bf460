import type { MachineHistoryEntry } from '@kbisect/service';
import { h } from './dom.js';
import { VERDICT_MARK, shortSha, when } from './format.js';

/** Entries listed before the rest fold under "more". */
const FIRST = 3;

function entryItem(e: MachineHistoryEntry): HTMLLIElement {
  const stamp = h('span', { class: 'muted' }, ` ${when(e.at).slice(5, 16)}`);
  // An operator's reason is the point of a drain or undrain entry: it stays at 800 px, where a test's reason folds away.
  if (e.kind === 'service') return h('li', { class: 'recent-service' }, `${e.action === 'drain' ? 'drained' : 'undrained'} by ${e.by}`, stamp, e.reason ? h('span', { class: 'muted service-reason', title: e.reason }, `: ${e.reason.slice(0, 80)}`) : null);
  const link = h('a', { href: `/b/${e.bisection}#commit=${e.commit}`, 'data-nav': true, title: `bisection ${e.bisection}` }, h('code', {}, shortSha(e.commit)));
  if (e.kind === 'test') {
    return h('li', { class: 'recent-test', 'data-verdict': e.verdict }, link, ' ', h('span', { class: `verdict-${e.verdict}` }, VERDICT_MARK[e.verdict] ?? e.verdict), e.purpose && e.purpose !== 'bisect' ? ` [${e.purpose}]` : '', stamp, h('span', { class: 'muted hide-narrow' }, ` ${e.reason.slice(0, 80)}`));
  }
  return h('li', { class: 'recent-infra' }, link, ' ', h('strong', {}, `⚠ infrastructure: ${e.failure}`), stamp, h('span', { class: 'muted hide-narrow' }, ` ${e.message.slice(0, 80)}`));
}

/** A machine's latest tests (commit → its bisection, verdict), infrastructure failures and drains, newest first. */
export function machineRecent(entries: readonly MachineHistoryEntry[]): HTMLElement {
  if (entries.length === 0) return h('span', { class: 'muted' }, 'no tests yet');
  const first = h('ul', { class: 'recent' }, ...entries.slice(0, FIRST).map(entryItem));
  if (entries.length <= FIRST) return first;
  return h('div', {}, first, h('details', {}, h('summary', {}, `${entries.length - FIRST} more`), h('ul', { class: 'recent' }, ...entries.slice(FIRST).map(entryItem))));
}
