import { requireOption } from './parse-options.js';
import { UsageError } from './usage-error.js';

/** The options that name a bisection, shared by `run` (local) and `submit` (remote) so both read the same. */
export const RANGE_OPTIONS = {
  repo: { type: 'string' },
  good: { type: 'string', multiple: true },
  bad: { type: 'string' },
  'test-cmd': { type: 'string' },
  'first-parent': { type: 'boolean' },
} as const;

/**
 * --good and --bad as given, checked alike for `run` and `submit`: both are
 * required unless --import-log is given (the log's start may supply them),
 * and --fix takes exactly one --good and a --bad.
 */
export function rangeEnds(command: 'run' | 'submit', values: { readonly good?: readonly string[]; readonly bad?: string; readonly fix?: boolean; readonly 'import-log'?: string }): { readonly good: readonly string[]; readonly bad: string | undefined } {
  const imported = values['import-log'] !== undefined;
  const bad = imported ? values.bad : requireOption(command, 'bad', values.bad);
  const good = values.good ?? [];
  if (good.length === 0 && !imported) throw new UsageError(`kbisect ${command}: --good is required (repeat it for several good commits)`);
  if (values.fix && (good.length !== 1 || bad === undefined)) throw new UsageError(`kbisect ${command}: --fix takes exactly one --good (the commit where the bug is gone)`);
  return { good, bad };
}
