import type { Machine } from '@kbisect/lab';
import type { MachineHistoryEntry } from '@kbisect/service';
import { getJson, send } from '../api-client.js';
import { h, replace } from '../dom.js';
import { errorNotice } from '../error-notice.js';
import { when } from '../format.js';
import { machineRecent } from '../machine-recent.js';
import type { PageContext } from '../page-context.js';
import { may } from '../session.js';
import { BISECTION_ID } from '../service-values.js';

const REFRESH_MS = 5000;

/** A lease names the bisection that holds the machine first. */
const LEASE_BISECTION = new RegExp(`^${BISECTION_ID}`);

/** GET /machines' items: the machine, its state and its latest tests. */
type MachineView = Machine & { readonly recent?: readonly MachineHistoryEntry[] };

function leaseCell(m: Machine): HTMLElement {
  const lease = m.status.leasedBy;
  if (!lease) return h('td', { class: 'muted' }, 'idle');
  const bisection = LEASE_BISECTION.exec(lease)?.[0];
  return h('td', {}, 'leased → ', bisection ? h('a', { href: `/b/${bisection}`, 'data-nav': true }, lease) : lease);
}

/** Lab machines by pool: state, lease, why drained or quarantined, recent tests and infrastructure failures; drain/undrain for maintainers. */
export async function machinesPage({ main, onLeave }: PageContext): Promise<void> {
  const body = h('tbody');
  const status = h('div', { 'aria-live': 'polite', id: 'machine-status' });
  const act = (m: MachineView, reasonInput: HTMLInputElement): void => {
    const draining = m.status.state === 'ready';
    const reason = reasonInput.value.trim();
    send('POST', `/api/v1/machines/${encodeURIComponent(m.id)}/${draining ? 'drain' : 'undrain'}`, reason ? { reason } : {}).then(() => {
      replace(status, h('p', { class: 'notice' }, `${m.id} ${draining ? 'drained' : 'back in service'}.`));
      void load();
    }, (err: unknown) => replace(status, errorNotice(err)));
  };
  const row = (m: MachineView): HTMLTableRowElement => {
    const reasonInput = h('input', { id: `reason-${m.id}`, size: 18, maxlength: 500, placeholder: 'reason', 'aria-label': `Reason to ${m.status.state === 'ready' ? 'drain' : 'undrain'} ${m.id}` });
    return h('tr', { 'data-machine': m.id, 'data-state': m.status.state },
      h('td', {}, h('strong', {}, m.id)), h('td', {}, m.pool),
      // A ready machine running a test is leased; the Lease column names the bisection.
      h('td', { class: 'status' }, m.status.state === 'ready' && m.status.leasedBy ? 'leased' : m.status.state), h('td', {}, m.status.reason ?? ''),
      leaseCell(m),
      h('td', {}, String(m.status.infraFailures), m.status.lastInfraFailure ? h('span', { class: 'muted' }, ` (last: ${m.status.lastInfraFailure})`) : null),
      h('td', { class: 'recent-cell' }, machineRecent(m.recent ?? [])),
      h('td', { class: 'hide-narrow' }, when(m.status.updatedAt)),
      may('maintain') ? h('td', {}, h('div', { class: 'row' }, reasonInput, h('button', { type: 'button', class: 'machine-action', onclick: () => act(m, reasonInput) }, m.status.state === 'ready' ? `Drain ${m.id}` : `Undrain ${m.id}`))) : null);
  };
  replace(main, h('h1', {}, 'Machines'), status, h('div', { class: 'table-wrap' }, h('table', { id: 'machines' },
    h('thead', {}, h('tr', {}, ...['Machine', 'Pool', 'State', 'Why', 'Lease', 'Infra failures', 'Recent tests', 'Updated'].map((c, i) => h('th', { scope: 'col', ...(i === 7 ? { class: 'hide-narrow' } : {}) }, c)), may('maintain') ? h('th', { scope: 'col' }, 'Action') : null)),
    body)));
  const load = async (): Promise<void> => {
    const { items } = await getJson<{ items: MachineView[] }>('/api/v1/machines');
    // A row being typed into is not redrawn under the user's cursor.
    if (body.contains(document.activeElement) && document.activeElement instanceof HTMLInputElement) return;
    replace(body, ...(items.length > 0 ? items.map(row) : [h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No machines registered.'))]));
  };
  await load();
  const timer = setInterval(() => void load().catch((err: unknown) => replace(status, errorNotice(err))), REFRESH_MS);
  onLeave(() => clearInterval(timer));
}
