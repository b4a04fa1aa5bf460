import type { UntestableMode } from '@kbisect/service/driver';
import { UsageError } from './usage-error.js';

const MODES: readonly UntestableMode[] = ['skip', 'force', 'narrow'];
const isMode = (v: string): v is UntestableMode => (MODES as readonly string[]).includes(v);

/** `--untestable skip|force|narrow`, the same for `run` and `submit`; a wrong value is one line naming the flag. */
export function untestableFlag(command: string, value: string | undefined): UntestableMode | undefined {
  if (value === undefined) return undefined;
  if (!isMode(value)) throw new UsageError(`kbisect ${command}: --untestable: '${value}' is not one of skip, force, narrow`);
  return value;
}
