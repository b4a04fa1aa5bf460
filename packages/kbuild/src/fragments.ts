import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Fragment } from './config-merge.js';

export class FragmentError extends Error {
  readonly code = 'KBISECT_ERR_FRAGMENT';
  readonly category = 'configuration' as const;
  constructor(message: string) {
    super(message);
    this.name = 'FragmentError';
  }
}

/** kernel-configs/ at the repository root. */
export const DEFAULT_FRAGMENT_DIR = resolve(import.meta.dirname, '../../../kernel-configs');

/**
 * Loads named fragments from the fragment directory. Names are plain names
 * (never paths), so a request cannot read files outside it.
 */
export async function loadFragments(names: readonly string[], dir: string = DEFAULT_FRAGMENT_DIR): Promise<Fragment[]> {
  const out: Fragment[] = [];
  for (const name of names) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.includes('..')) throw new FragmentError(`config fragment '${name}': not a fragment name (letters, digits, '.', '_', '-'; no paths)`);
    const file = join(dir, `${name}.config`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new FragmentError(`config fragment '${name}': no ${name}.config in ${dir}`);
    }
    out.push({ name, text });
  }
  return out;
}
