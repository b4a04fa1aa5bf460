import type { BisectionView } from '@kbisect/service';
import { ApiFailure, send } from './api-client.js';
import { h, replace } from './dom.js';
import { errorNotice } from './error-notice.js';
import { go } from './navigate.js';
import { SHA_PATTERN } from './service-values.js';
import { may } from './session.js';

export interface Actions {
  readonly element: HTMLElement;
  /** Puts a commit picked in the range picture into the manual verdict's commit field. */
  pick(sha: string): void;
}

/** Retry: the same request as a new bisection, which the page then opens. */
function retryButton(id: string, status: HTMLElement): HTMLElement {
  const button = h('button', { type: 'button', id: 'retry' }, 'Retry (same request)');
  button.addEventListener('click', () => {
    send<{ id: string }>('POST', `/api/v1/bisections/${id}/retry`).then((created) => go(`/b/${created!.id}`), (err: unknown) => replace(status, errorNotice(err)));
  });
  return h('div', { class: 'row' }, button);
}

/** Mark the result invalid or name another culprit, with a reason: kept as an event, shown with who and when. */
function annotationForm(id: string, status: HTMLElement, refresh: () => void): HTMLElement {
  const kind = h('select', { id: 'an-kind', name: 'kind' }, h('option', { value: 'invalid' }, 'mark the result invalid'), h('option', { value: 'culprit-override' }, 'override the culprit'));
  const culprit = h('input', { id: 'an-culprit', name: 'culprit', size: 42, placeholder: 'full sha (override only)', 'aria-describedby': 'an-culprit-error' });
  const culpritError = h('span', { id: 'an-culprit-error', class: 'field-error' });
  const reason = h('input', { id: 'an-reason', name: 'reason', size: 40, maxlength: 500, required: true, 'aria-describedby': 'an-reason-error' });
  const reasonError = h('span', { id: 'an-reason-error', class: 'field-error' });
  const form = h('form', { class: 'row', id: 'annotation-form' },
    h('label', { for: 'an-kind' }, 'Judgement', kind),
    h('label', { for: 'an-culprit' }, 'Culprit', culprit, culpritError),
    h('label', { for: 'an-reason' }, 'Why', reason, reasonError),
    h('button', { type: 'submit' }, 'Record'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    culpritError.textContent = '';
    reasonError.textContent = '';
    const body = { kind: kind.value, reason: reason.value.trim(), ...(kind.value === 'culprit-override' && culprit.value.trim() ? { culprit: culprit.value.trim() } : {}) };
    send('POST', `/api/v1/bisections/${id}/annotations`, body).then(() => {
      replace(status, h('p', { class: 'notice' }, 'Recorded.'));
      refresh();
    }, (err: unknown) => {
      const field = err instanceof ApiFailure ? err.field?.replace(/^body\./, '') : undefined;
      if (field === 'culprit' && err instanceof ApiFailure) culpritError.textContent = err.message;
      else if (field === 'reason' && err instanceof ApiFailure) reasonError.textContent = err.message;
      else replace(status, errorNotice(err));
    });
  });
  return form;
}

/**
 * What the signed-in user may do to a bisection: submitters may retry it,
 * maintainers also cancel it and give verdicts; readers get no controls at
 * all (the API refuses them anyway).
 */
export function bisectionActions(view: BisectionView, refresh: () => void): Actions {
  const status = h('div', { 'aria-live': 'polite', id: 'action-status' });
  const commit = h('input', { id: 'mv-commit', name: 'commit', size: 42, pattern: SHA_PATTERN, required: true, placeholder: 'full sha, or pick one in the picture', 'aria-describedby': 'mv-commit-error' });
  const retry = may('submit') ? retryButton(view.id, status) : null;
  if (!may('maintain')) return { element: retry ? h('section', { id: 'actions' }, h('h2', {}, 'Actions'), retry, status) : h('div', { id: 'actions', 'data-readonly': 'true' }), pick: () => undefined };
  const commitError = h('span', { id: 'mv-commit-error', class: 'field-error' });
  const verdict = h('select', { id: 'mv-verdict', name: 'verdict' }, h('option', { value: 'good' }, 'good'), h('option', { value: 'bad' }, 'bad'), h('option', { value: 'skip' }, 'skip'));
  const reason = h('input', { id: 'mv-reason', name: 'reason', size: 30, maxlength: 500 });
  const form = h('form', { class: 'row', id: 'manual-verdict' },
    h('label', { for: 'mv-commit' }, 'Commit', commit, commitError),
    h('label', { for: 'mv-verdict' }, 'Verdict', verdict),
    h('label', { for: 'mv-reason' }, 'Reason', reason),
    h('button', { type: 'submit' }, 'Give verdict'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    commitError.textContent = '';
    replace(status);
    send('POST', `/api/v1/bisections/${view.id}/verdicts`, { commit: commit.value.trim(), verdict: verdict.value, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) }).then(() => {
      replace(status, h('p', { class: 'notice' }, `Verdict ${verdict.value} on ${commit.value.slice(0, 12)} accepted.`));
      refresh();
    }, (err: unknown) => {
      if (err instanceof ApiFailure && (err.field === 'commit' || err.field === 'body.commit')) commitError.textContent = err.message;
      else replace(status, errorNotice(err));
    });
  });
  const running = view.status === 'running' || view.status === 'queued';
  const cancelReason = h('input', { id: 'cancel-reason', name: 'reason', size: 30, maxlength: 500 });
  const cancel = h('form', { class: 'row', id: 'cancel-form' },
    h('label', { for: 'cancel-reason' }, 'Why cancel', cancelReason),
    h('button', { type: 'submit', class: 'danger' }, 'Cancel bisection'));
  cancel.addEventListener('submit', (event) => {
    event.preventDefault();
    send('POST', `/api/v1/bisections/${view.id}/cancel`, cancelReason.value.trim() ? { reason: cancelReason.value.trim() } : {}).then(() => {
      replace(status, h('p', { class: 'notice' }, 'Cancel requested.'));
      refresh();
    }, (err: unknown) => replace(status, errorNotice(err)));
  });
  const element = h('section', { id: 'actions' }, h('h2', {}, 'Actions'), running ? cancel : null, form, annotationForm(view.id, status, refresh), retry, status);
  return { element, pick: (sha) => void (commit.value = sha) };
}
