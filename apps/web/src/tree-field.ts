import { h } from './dom.js';

/**
 * The tree control of the submit form and the list filter. Until registered
 * trees (GET /api/v1/trees) land, a tree is the bisection's `repo` typed as
 * text; this is the one place to switch to a select of registered trees.
 */
export function treeField(id: string, value: string, required: boolean): HTMLInputElement | HTMLSelectElement {
  return h('input', { id, name: 'repo', value, required, size: 36, placeholder: '/path/to/linux or https://…', autocomplete: 'off' });
}
