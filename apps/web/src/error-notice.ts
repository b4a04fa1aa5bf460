import { ApiFailure } from './api-client.js';
import { h } from './dom.js';

export function errorNotice(err: unknown): HTMLElement {
  const text = err instanceof ApiFailure ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
  return h('p', { class: 'notice error', role: 'alert' }, text);
}
