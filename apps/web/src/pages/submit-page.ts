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

type Kind = NonNullable<Control['kind']>;
/** One control of the form; the API names its errors by `field` (an option unless said otherwise). */
const control = (group: Control['group'], kind: Kind, name: string, label: string, more: { field?: string; hint?: string } = {}): Control =>
  ({ name, field: more.field ?? `options.${name}`, label, kind, group, ...(more.hint !== undefined ? { hint: more.hint } : {}) });
const text = (group: Control['group'], name: string, label: string, more: { field?: string; hint?: string } = {}): Control => control(group, 'text', name, label, more);
const number = (group: Control['group'], name: string, label: string, field?: string): Control => control(group, 'number', name, label, field !== undefined ? { field } : {});
const check = (group: Control['group'], name: string, label: string, field?: string): Control => control(group, 'checkbox', name, label, field !== undefined ? { field } : {});
const choice = (group: Control['group'], name: string, label: string, options: readonly string[], field: string): Control => control(group, { options: ['', ...options] }, name, label, { field });

const CONTROLS: readonly Control[] = [
  text('range', 'good', 'Good ref(s)', { field: 'good', hint: 'space-separated' }),
  text('range', 'bad', 'Bad ref', { field: 'bad' }),
  check('range', 'fix', 'Find the fix (bad has the bug, good is later)', 'options.terms'),
  check('range', 'firstParent', 'First parent only'),
  control('command', 'textarea', 'command', 'Test command', { field: 'probe.command', hint: "git bisect run's exit codes: 0 good, 125 skip, 1–127 bad" }),
  text('kernel', 'configFragments', 'Config fragments', { field: 'probe.configFragments', hint: 'kernel-configs/ names, space-separated' }),
  text('kernel', 'pool', 'Machine pool', { field: 'probe.pool' }),
  text('kernel', 'reproducer', 'Reproducer', { field: 'probe.reproducer', hint: 'vfio-pin-check or boot' }),
  control('kernel', 'textarea', 'reproducerArgs', 'Reproducer arguments', { field: 'probe.reproducer.args', hint: 'one per line' }),
  check('kernel', 'crashesCount', 'A kernel crash counts as bad', 'probe.reproducer.crashesCount'),
  number('more', 'timeoutSec', 'Timeout (s)', 'probe.timeoutSec'),
  text('more', 'requireConfig', 'Required configs', { hint: 'CONFIG_X … : commits where they cannot be set are untestable' }),
  choice('more', 'untestable', 'Untestable commits', ['skip', 'force', 'narrow'], 'probe.untestable'),
  choice('policy', 'policy', 'Policy', ['deterministic', 'repeat', 'bayes'], 'options.policy'),
  number('policy', 'confidence', 'Confidence (bayes)'),
  number('policy', 'maxRuns', 'Max runs (bayes)'),
  number('policy', 'detection', 'Detection rate (bayes)'),
  number('policy', 'falsePositive', 'False positive rate (bayes)'),
  number('policy', 'badAfter', 'Bad after K failures (repeat)'),
  number('policy', 'goodAfter', 'Good after N passes (repeat)'),
  check('policy', 'skipEndpointCheck', 'Skip the endpoint check', 'options.checkEndpoints'),
  check('policy', 'verify', 'Verify the culprit and its parent'),
  check('policy', 'verifyRevert', 'Also test with the culprit reverted'),
  number('more', 'retries', 'Retries after infrastructure failures'),
  number('more', 'priority', 'Priority (lower runs first)'),
  control('more', 'textarea', 'importLog', 'Import a git bisect log', { field: 'importLog' }),
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
  /** A fieldset of one group's controls in the form's grid, the extra ones (the tree) first. */
  const fields = (legend: string, g: Control['group'], attrs: Record<string, string> = {}, ...first: HTMLElement[]): HTMLFieldSetElement =>
    h('fieldset', attrs, h('legend', {}, legend), h('div', { class: 'form-grid' }, ...first, ...group(g)));
  const commandSet = fields('Command probe', 'command', { id: 'command-fields' });
  const kernelSet = fields('Kernel probe', 'kernel', { id: 'kernel-fields' });
  const showProbe = (): void => {
    commandSet.hidden = probeType.value !== 'command';
    kernelSet.hidden = probeType.value !== 'kernel';
  };
  probeType.addEventListener('change', showProbe);
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { id: 'submit-form', novalidate: true },
    fields('Range', 'range', {}, h('label', { for: 's-repo' }, 'Tree', tree, treeError)),
    h('fieldset', {}, h('legend', {}, 'Probe'), h('label', { for: 's-probeType' }, 'Kind', probeType, probeError)),
    commandSet, kernelSet,
    fields('Policy and verification', 'policy'),
    fields('More', 'more'),
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
