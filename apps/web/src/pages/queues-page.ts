import type { QueueState } from '@kbisect/service';
import { getJson } from '../api-client.js';
import { h, replace } from '../dom.js';
import { errorNotice } from '../error-notice.js';
import { duration, when } from '../format.js';
import type { PageContext } from '../page-context.js';

const REFRESH_MS = 3000;

/** The work queues: depth per role, live workers, how long the oldest job has waited. */
export async function queuesPage({ main, onLeave }: PageContext): Promise<void> {
  const body = h('tbody');
  const status = h('div', { 'aria-live': 'polite' });
  replace(main, h('h1', {}, 'Queues'), status, h('div', { class: 'table-wrap' }, h('table', { id: 'queues' },
    h('thead', {}, h('tr', {}, ...['Role', 'Waiting', 'Active', 'Delayed', 'Failed', 'Live workers', 'Oldest waiting'].map((c) => h('th', { scope: 'col' }, c)))),
    body)));
  const load = async (): Promise<void> => {
    const { items } = await getJson<{ items: QueueState[] }>('/api/v1/queues');
    replace(body, ...items.map((q) => h('tr', { 'data-role': q.role },
      h('td', {}, h('strong', {}, q.role)), h('td', {}, q.waiting), h('td', {}, q.active), h('td', {}, q.delayed), h('td', {}, q.failed),
      h('td', { class: q.workers === 0 ? 'verdict-bad' : '' }, q.workers === 0 ? '0 — no worker is serving this queue' : q.workers),
      h('td', {}, q.oldestWaitingSince ? `${when(q.oldestWaitingSince)} (${duration(q.oldestWaitingSince, undefined)} ago)` : '—'))));
  };
  await load();
  const timer = setInterval(() => void load().then(() => replace(status), (err: unknown) => replace(status, errorNotice(err))), REFRESH_MS);
  onLeave(() => clearInterval(timer));
}
