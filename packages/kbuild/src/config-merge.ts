import { createHash } from 'node:crypto';

/** A config fragment: its name (for evidence) and text. */
export interface Fragment {
  readonly name: string;
  readonly text: string;
}

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** Symbol → value (`n` for "is not set"), in file order. */
export function parseConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const set = SET.exec(line);
    if (set) out.set(set[1]!, set[2]!);
    const unset = UNSET.exec(line);
    if (unset) out.set(unset[1]!, 'n');
  }
  return out;
}

/**
 * Fragments merged onto a base config, as scripts/kconfig/merge_config.sh
 * does: a later assignment of a symbol replaces an earlier one. The result
 * still needs `make olddefconfig` to resolve dependencies.
 */
export function mergeConfigs(base: string, fragments: readonly Fragment[]): string {
  const values = parseConfig(base);
  for (const f of fragments) for (const [k, v] of parseConfig(f.text)) {
    values.delete(k);
    values.set(k, v);
  }
  return [...values].map(([k, v]) => (v === 'n' ? `# ${k} is not set` : `${k}=${v}`)).join('\n') + '\n';
}

/** Hash of a config's assignments, independent of comments and order. */
export function configHash(text: string): string {
  const lines = [...parseConfig(text)].map(([k, v]) => `${k}=${v}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** Required symbols that are not built in (`=y`) in a final config. */
export function missingRequired(config: string, required: readonly string[]): string[] {
  const values = parseConfig(config);
  return required.filter((s) => values.get(s) !== 'y');
}
