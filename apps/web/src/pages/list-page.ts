import type { ListItem } from '@kbisect/service';
import { getJson } from '../api-client.js';
import { h, replace } from '../dom.js';
import { errorNotice } from '../error-notice.js';
import { counted, duration, percent, rangeText, shortSha, when } from '../format.js';
import { go } from '../navigate.js';
import type { PageContext } from '../page-context.js';
import { STATUSES } from '../service-values.js';
import { treeField } from '../tree-field.js';

const REFRESH_MS = 3000;

/** A maintainer's latest word on the result, so the list never shows a culprit someone has disowned as if it stood. */
function judgementTag(item: ListItem): HTMLElement | null {
  const j = item.judgement;
  if (j === undefined) return null;
  const text = j.kind === 'invalid' ? `marked invalid by ${j.by}` : `culprit overridden to ${j.culprit !== undefined ? shortSha(j.culprit) : '?'} by ${j.by}`;
  return h('span', { class: 'judgement', 'data-kind': j.kind, title: `${when(j.at)}; the bisection's page says why` }, text);
}

function culpritCell(item: ListItem): HTMLElement {
  const tag = judgementTag(item);
  const cell = answerCell(item);
  if (tag) cell.append(' ', tag);
  return cell;
}

function answerCell(item: ListItem): HTMLElement {
  if (item.culprit) return h('td', {}, h('code', {}, shortSha(item.culprit)), ' ', item.culpritSubject ?? '');
  if (item.candidates !== undefined) return h('td', {}, `could be any of ${item.candidates}`);
  if (item.candidatesLeft !== undefined) return h('td', { class: 'muted' }, `${counted(item.candidatesLeft, 'commit')} left`);
  return h('td', {});
}

function row(item: ListItem): HTMLTableRowElement {
  return h('tr', { 'data-id': item.id, 'data-status': item.status },
    h('td', {}, h('a', { href: `/b/${item.id}`, 'data-nav': true, class: 'status' }, item.status)),
    h('td', { class: 'mono' }, item.repo),
    h('td', { class: 'mono' }, rangeText(item.good ?? [], item.bad ?? '')),
    h('td', {}, item.submittedBy),
    // A real test command runs long: one line, cut, the whole of it on hover (and on the bisection's page).
    h('td', { class: 'mono hide-narrow clip', title: item.reproducer ?? '' }, item.reproducer ?? ''),
    h('td', { class: 'hide-narrow' }, when(item.createdAt)),
    h('td', {}, duration(item.createdAt, item.finishedAt)),
    culpritCell(item),
    h('td', {}, percent(item.confidence)));
}

/** Bisections, newest first, filtered and paged by the API (cursor); rows of unfinished ones refresh by themselves. */
export async function listPage({ main, onLeave }: PageContext): Promise<void> {
  const params = new URLSearchParams(location.search);
  const status = h('select', { id: 'f-status', name: 'status' }, ...['', ...STATUSES].map((s) => h('option', { value: s, ...(params.get('status') === s ? { selected: true } : {}) }, s || 'any')));
  const tree = treeField('f-repo', params.get('repo') ?? '', false);
  const by = h('input', { id: 'f-by', name: 'submittedBy', value: params.get('submittedBy') ?? '', size: 12 });
  const text = h('input', { id: 'f-q', name: 'q', type: 'search', value: params.get('q') ?? '', size: 20, placeholder: 'subject or sha' });
  const filters = h('form', { class: 'filters', role: 'search' },
    h('label', { for: 'f-status' }, 'Status', status), h('label', { for: 'f-repo' }, 'Tree', tree),
    h('label', { for: 'f-by' }, 'Submitter', by), h('label', { for: 'f-q' }, 'Culprit text', text),
    h('button', { type: 'submit' }, 'Filter'));
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of [['status', status.value], ['repo', tree.value], ['submittedBy', by.value], ['q', text.value]] as const) if (v.trim()) q.set(k, v.trim());
    go(`/?${q.toString()}`);
  });
  const body = h('tbody');
  const pager = h('div', { class: 'row' });
  const notice = h('div', { 'aria-live': 'polite' });
  replace(main, h('h1', {}, 'Bisections'), filters, notice,
    h('div', { class: 'table-wrap' }, h('table', { id: 'bisections' },
      h('thead', {}, h('tr', {}, ...['Status', 'Tree', 'Range', 'Submitter', 'Reproducer', 'Started', 'Duration', 'Culprit', 'Confidence'].map((c, i) => h('th', { scope: 'col', ...(i === 4 || i === 5 ? { class: 'hide-narrow' } : {}) }, c)))),
      body)),
    pager);

  const query = new URLSearchParams(params);
  query.set('limit', '50');
  const load = async (): Promise<void> => {
    const page = await getJson<{ items: ListItem[]; next?: string }>(`/api/v1/bisections?${query.toString()}`);
    replace(body, ...(page.items.length > 0 ? page.items.map(row) : [h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No bisections match.'))]));
    const here = new URLSearchParams(location.search);
    const older = new URLSearchParams(here);
    if (page.next) older.set('cursor', page.next);
    here.delete('cursor');
    replace(pager,
      params.has('cursor') ? h('a', { href: `/?${here.toString()}`, 'data-nav': true }, 'Newest') : null,
      page.next ? h('a', { href: `/?${older.toString()}`, 'data-nav': true }, 'Older →') : null);
  };
  await load();
  // Unfinished bisections change by themselves: poll (one request per page, not a stream per row).
  const timer = setInterval(() => void load().then(() => replace(notice), (err: unknown) => replace(notice, errorNotice(err))), REFRESH_MS);
  onLeave(() => clearInterval(timer));
}
