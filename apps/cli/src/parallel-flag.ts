import { MAX_PARALLEL } from '@kbisect/bisect';
import { UsageError } from './usage-error.js';

/** `--parallel K` (run, submit): how many tests of one bisection at once; 1 when absent. */
export function parallelFrom(command: string, value: string | undefined): number {
  if (value === undefined) return 1;
  const k = Number(value);
  if (value.trim() === '' || !Number.isInteger(k) || k < 1 || k > MAX_PARALLEL) throw new UsageError(`kbisect ${command}: --parallel: '${value}' is not an integer from 1 to ${MAX_PARALLEL}`);
  return k;
}
