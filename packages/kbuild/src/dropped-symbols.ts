import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseConfig, type Fragment } from './config-merge.js';

/** Symbols the fragments set to y or m that the final config does not have. Pure. */
export function droppedSymbols(finalConfig: string, fragments: readonly Fragment[]): string[] {
  const values = parseConfig(finalConfig);
  const wanted = new Set<string>();
  for (const f of fragments) for (const [sym, v] of parseConfig(f.text)) if (v === 'y' || v === 'm') wanted.add(sym);
  return [...wanted].filter((s) => values.get(s) !== 'y' && values.get(s) !== 'm');
}

/**
 * The `depends on` lines of one Kconfig entry, from the text of its file.
 * Pure: the entry runs from its `config` line to the next entry or menu.
 */
export function dependsOf(kconfigText: string, symbol: string): string[] {
  const lines = kconfigText.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\s*(?:menu)?config\\s+${symbol}\\s*$`).test(l));
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(?:menu)?config\s|^\s*(?:endmenu|menu|choice|endchoice|if|endif|source)\b/.test(line)) break;
    const m = /^\s*depends on\s+(.*)$/.exec(line);
    if (m) out.push(m[1]!.trim());
  }
  return out;
}

/**
 * Why olddefconfig dropped each symbol, where Kconfig says so: "CONFIG_X
 * (mm/Kconfig: depends on A && BROKEN)". Reads the worktree's Kconfig files.
 */
export async function explainDropped(srcDir: string, symbols: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const full of symbols) {
    const sym = full.replace(/^CONFIG_/, '');
    const found = await execa('grep', ['-rlE', '--include=Kconfig*', `^\\s*(menu)?config\\s+${sym}\\s*$`, '.'], { cwd: srcDir, reject: false });
    const file = String(found.stdout).split('\n').find((f) => f !== '')?.replace(/^\.\//, '');
    if (!file) {
      out.push(`${full} (no Kconfig entry at this commit)`);
      continue;
    }
    const deps = dependsOf(await readFile(join(srcDir, file), 'utf8'), sym);
    out.push(`${full} (${file}: ${deps.length > 0 ? `depends on ${deps.join(' && ')}` : 'no depends on; selected or defaulted elsewhere'})`);
  }
  return out;
}
