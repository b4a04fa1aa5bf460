import { ApiFailure, send } from '../api-client.js';
import { h, replace } from '../dom.js';
import { errorNotice } from '../error-notice.js';
import { go } from '../navigate.js';
import type { PageContext } from '../page-context.js';
import { may, session } from '../session.js';
import { controlForField, requestFromForm, type FormValues } from '../submit-request.js';
import { treeField } from '../tree-field.js';

interface Control {
  readonly name: string;
  /** Where the API reports an error about it (`probe.command`, `options.confidence`, …). */
  readonly field: string;
  readonly label: string;
  readonly kind?: 'text' | 'textarea' | 'checkbox' | 'number' | { readonly options: readonly string[] };
  readonly hint?: string;
  readonly group: 'range' | 'command' | 'kernel' | 'policy' | 'more';
}

const CONTROLS: readonly Control[] = [
  { name: 'good', field: 'good', label: 'Good ref(s)', hint: 'space-separated', group: 'range' },
  { name: 'bad', field: 'bad', label: 'Bad ref', group: 'range' },
  { name: 'fix', field: 'options.terms', label: 'Find the fix (bad has the bug, good is later)', kind: 'checkbox', group: 'range' },
  { name: 'firstParent', field: 'options.firstParent', label: 'First parent only', kind: 'checkbox', group: 'range' },
  { name: 'command', field: 'probe.command', label: 'Test command', kind: 'textarea', hint: "git bisect run's exit codes: 0 good, 125 skip, 1–127 bad", group: 'command' },
  { name: 'configFragments', field: 'probe.configFragments', label: 'Config fragments', hint: 'kernel-configs/ names, space-separated', group: 'kernel' },
  { name: 'pool', field: 'probe.pool', label: 'Machine pool', group: 'kernel' },
  { name: 'reproducer', field: 'probe.reproducer', label: 'Reproducer', hint: 'vfio-pin-check or boot', group: 'kernel' },
  { name: 'reproducerArgs', field: 'probe.reproducer.args', label: 'Reproducer arguments', kind: 'textarea', hint: 'one per line', group: 'kernel' },
  { name: 'crashesCount', field: 'probe.reproducer.crashesCount', label: 'A kernel crash counts as bad', kind: 'checkbox', group: 'kernel' },
  { name: 'timeoutSec', field: 'probe.timeoutSec', label: 'Timeout (s)', kind: 'number', group: 'more' },
  { name: 'requireConfig', field: 'options.requireConfig', label: 'Required configs', hint: 'CONFIG_X … : commits where they cannot be set are untestable', group: 'more' },
  { name: 'untestable', field: 'probe.untestable', label: 'Untestable commits', kind: { options: ['', 'skip', 'force', 'narrow'] }, group: 'more' },
  { name: 'policy', field: 'options.policy', label: 'Policy', kind: { options: ['', 'deterministic', 'repeat', 'bayes'] }, group: 'policy' },
  { name: 'confidence', field: 'options.confidence', label: 'Confidence (bayes)', kind: 'number', group: 'policy' },
  { name: 'maxRuns', field: 'options.maxRuns', label: 'Max runs (bayes)', kind: 'number', group: 'policy' },
  { name: 'detection', field: 'options.detection', label: 'Detection rate (bayes)', kind: 'number', group: 'policy' },
  { name: 'falsePositive', field: 'options.falsePositive', label: 'False positive rate (bayes)', kind: 'number', group: 'policy' },
  { name: 'badAfter', field: 'options.badAfter', label: 'Bad after K failures (repeat)', kind: 'number', group: 'policy' },
  { name: 'goodAfter', field: 'options.goodAfter', label: 'Good after N passes (repeat)', kind: 'number', group: 'policy' },
  { name: 'skipEndpointCheck', field: 'options.checkEndpoints', label: 'Skip the endpoint check', kind: 'checkbox', group: 'policy' },
  { name: 'verify', field: 'options.verify', label: 'Verify the culprit and its parent', kind: 'checkbox', group: 'policy' },
  { name: 'verifyRevert', field: 'options.verifyRevert', label: 'Also test with the culprit reverted', kind: 'checkbox', group: 'policy' },
  { name: 'retries', field: 'options.retries', label: 'Retries after infrastructure failures', kind: 'number', group: 'more' },
  { name: 'priority', field: 'options.priority', label: 'Priority (lower runs first)', kind: 'number', group: 'more' },
  { name: 'importLog', field: 'importLog', label: 'Import a git bisect log', kind: 'textarea', group: 'more' },
];

/** A form for everything `kbisect submit` can say; the API's field errors appear next to their control. */
export async function submitPage({ main }: PageContext): Promise<void> {
  if (!may('submit')) return replace(main, h('h1', {}, 'Submit'), h('p', {}, 'Your token may read but not submit.'));
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>();
  const errors = new Map<string, HTMLElement>();
  const labelled = (c: Control): HTMLElement => {
    const id = `s-${c.name}`;
    const kind = c.kind ?? 'text';
    const input = typeof kind === 'object'
      ? h('select', { id, name: c.name }, ...kind.options.map((o) => h('option', { value: o }, o || 'default')))
      : kind === 'textarea' ? h('textarea', { id, name: c.name, rows: 3, cols: 40 })
        : h('input', { id, name: c.name, type: kind === 'number' ? 'text' : kind, ...(kind === 'number' ? { inputmode: 'decimal' } : {}) });
    input.setAttribute('aria-describedby', `${id}-error`);
    inputs.set(c.field, input);
    const error = h('span', { id: `${id}-error`, class: 'field-error', role: 'alert' });
    errors.set(c.field, error);
    return kind === 'checkbox'
      ? h('label', { for: id, class: 'inline' }, input, ` ${c.label}`, error)
      : h('label', { for: id }, c.label, c.hint ? h('span', { class: 'muted' }, c.hint) : null, input, error);
  };
  const tree = treeField('s-repo', '', true);
  const treeError = h('span', { id: 's-repo-error', class: 'field-error', role: 'alert' });
  inputs.set('repo', tree);
  errors.set('repo', treeError);
  const commandAllowed = session()?.commandProbe ?? false;
  const probeType = h('select', { id: 's-probeType', name: 'probeType' }, h('option', { value: 'kernel' }, 'kernel: build, boot, run a reproducer'), commandAllowed ? h('option', { value: 'command', selected: true }, 'command: a shell command in the worktree') : null);
  const probeError = h('span', { id: 's-probeType-error', class: 'field-error', role: 'alert' });
  errors.set('probe', probeError);
  const group = (g: Control['group']) => CONTROLS.filter((c) => c.group === g).map(labelled);
  const commandSet = h('fieldset', { id: 'command-fields' }, h('legend', {}, 'Command probe'), h('div', { class: 'form-grid' }, ...group('command')));
  const kernelSet = h('fieldset', { id: 'kernel-fields' }, h('legend', {}, 'Kernel probe'), h('div', { class: 'form-grid' }, ...group('kernel')));
  const showProbe = (): void => {
    commandSet.hidden = probeType.value !== 'command';
    kernelSet.hidden = probeType.value !== 'kernel';
  };
  probeType.addEventListener('change', showProbe);
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { id: 'submit-form', novalidate: true },
    h('fieldset', {}, h('legend', {}, 'Range'), h('div', { class: 'form-grid' }, h('label', { for: 's-repo' }, 'Tree', tree, treeError), ...group('range'))),
    h('fieldset', {}, h('legend', {}, 'Probe'), h('label', { for: 's-probeType' }, 'Kind', probeType, probeError)),
    commandSet, kernelSet,
    h('fieldset', {}, h('legend', {}, 'Policy and verification'), h('div', { class: 'form-grid' }, ...group('policy'))),
    h('fieldset', {}, h('legend', {}, 'More'), h('div', { class: 'form-grid' }, ...group('more'))),
    h('button', { type: 'submit', class: 'primary' }, 'Submit bisection'), status);
  showProbe();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const e of errors.values()) e.textContent = '';
    replace(status);
    const values: Record<string, string | boolean> = { probeType: probeType.value };
    for (const input of inputs.values()) values[input.name] = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value;
    send<{ id: string }>('POST', '/api/v1/bisections', requestFromForm(values as FormValues)).then((created) => go(`/b/${created!.id}`), (err: unknown) => {
      const at = err instanceof ApiFailure && err.field ? controlForField(err.field, [...errors.keys()]) : undefined;
      if (at && err instanceof ApiFailure) {
        errors.get(at)!.textContent = err.message;
        (inputs.get(at) ?? probeType).focus();
      } else replace(status, errorNotice(err));
    });
  });
  replace(main, h('h1', {}, 'Submit a bisection'), form);
}
