import { ApiFailure } from '../api-client.js';
import { h, replace } from '../dom.js';
import { go } from '../navigate.js';
import type { PageContext } from '../page-context.js';
import { signIn } from '../session.js';

/** Exchanges a token for a session cookie; the token itself is never stored by the page. */
export async function signInPage({ main }: PageContext): Promise<void> {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-error', size: 48 });
  const error = h('span', { id: 'token-error', class: 'field-error', role: 'alert' });
  const form = h('form', { class: 'row' },
    h('label', { for: 'token' }, 'Token', input, error),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    signIn(input.value).then(() => {
      const next = new URLSearchParams(location.search).get('next');
      // Only a path on this site: never `//host` or `/\host`, which browsers read as another origin.
      go(next && /^\/(?![/\\])/.test(next) ? next : '/');
    }, (err: unknown) => {
      error.textContent = err instanceof ApiFailure ? err.message : 'sign-in failed';
      input.focus();
    });
  });
  replace(main, h('h1', {}, 'Sign in'), h('p', {}, 'Paste an API token (kbisect serve prints where the local admin token is).'), form);
  input.focus();
}
