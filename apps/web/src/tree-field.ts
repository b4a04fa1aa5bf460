import type { TreeRead } from '@kbisect/service';
import { getJson } from './api-client.js';
import { h, replace } from './dom.js';

/**
 * The tree control of the submit form and the list filter: a select of the
 * registered trees (GET /api/v1/trees), since a submission must name one.
 * The list filter's "any" option is empty; a value no longer registered
 * (a removed tree in a shared link) stays selectable so the filter still
 * shows what it filters by. The list's column and filter use the tree name,
 * which is what the API shows (repoLabel) and filters on.
 */
export function treeField(id: string, value: string, required: boolean): HTMLSelectElement {
  const select = h('select', { id, name: 'repo', required }, h('option', { value: '' }, required ? 'loading trees…' : 'any'));
  void getJson<{ items: TreeRead[] }>('/api/v1/trees').then(({ items }) => {
    const names = items.map((t) => t.name);
    if (value && !names.includes(value)) names.push(value);
    const first = required
      ? h('option', { value: '', disabled: true, ...(value ? {} : { selected: true }) }, names.length > 0 ? 'choose a tree' : 'no registered trees (an admin adds them: kbisect trees add)')
      : h('option', { value: '' }, 'any');
    replace(select, first, ...names.map((n) => h('option', { value: n, ...(n === value ? { selected: true } : {}) }, n)));
  }, (err: unknown) => {
    replace(select, h('option', { value: '' }, `trees unavailable: ${err instanceof Error ? err.message : String(err)}`));
  });
  return select;
}
