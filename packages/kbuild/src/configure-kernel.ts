import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configHash, mergeConfigs, missingRequired, type Fragment } from './config-merge.js';
import { BuildInfraError } from './build-errors.js';
import { droppedSymbols, explainDropped } from './dropped-symbols.js';
import type { Sandbox } from '@kbisect/sandbox';
import { runMake } from './kernel-make.js';

export type Configured =
  | { readonly ok: true; readonly config: string; readonly hash: string; readonly dropped: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * tinyconfig at this commit, the fragments merged onto it, olddefconfig, then
 * the safety net: every required symbol must still be `=y`, because
 * olddefconfig drops what it cannot satisfy without a word.
 */
export async function configureKernel(opts: { srcDir: string; outDir: string; fragments: readonly Fragment[]; required: readonly string[]; cc: string; sandbox: Sandbox; gitDir?: string; env?: Readonly<Record<string, string>>; timeoutMs?: number; logFile?: string; groupFile?: string }): Promise<Configured> {
  await mkdir(opts.outDir, { recursive: true });
  const make = (target: string) => runMake([target], { srcDir: opts.srcDir, outDir: opts.outDir, cc: opts.cc, sandbox: opts.sandbox, ...(opts.gitDir ? { gitDir: opts.gitDir } : {}), ...(opts.env ? { env: opts.env } : {}), timeoutMs: opts.timeoutMs ?? 600_000, ...(opts.logFile ? { logFile: opts.logFile } : {}), ...(opts.groupFile ? { groupFile: opts.groupFile } : {}) });
  const tiny = await make('tinyconfig');
  if (tiny.exitCode !== 0) throw new BuildInfraError(`make tinyconfig failed: ${lastLines(tiny.output)}`);
  const base = await readFile(join(opts.outDir, '.config'), 'utf8');
  await writeFile(join(opts.outDir, '.config'), mergeConfigs(base, opts.fragments));
  const old = await make('olddefconfig');
  if (old.exitCode !== 0) throw new BuildInfraError(`make olddefconfig failed: ${lastLines(old.output)}`);
  const config = await readFile(join(opts.outDir, '.config'), 'utf8');
  const dropped = droppedSymbols(config, opts.fragments);
  const missing = missingRequired(config, opts.required);
  const why = await explainDropped(opts.srcDir, [...new Set([...missing, ...dropped])]);
  // Every symbol a fragment asked for and olddefconfig dropped goes into the build log, with its Kconfig dependencies.
  if (why.length > 0 && opts.logFile) await appendFile(opts.logFile, `kbisect: make olddefconfig dropped: ${why.join('; ')}\n`);
  if (missing.length > 0) {
    const reasons = why.filter((w) => missing.some((m) => w.startsWith(`${m} `)));
    return { ok: false, reason: `untestable: ${missing.join(', ')} not set (make olddefconfig dropped ${missing.length === 1 ? 'it' : 'them'}: ${reasons.join('; ')})` };
  }
  return { ok: true, config, hash: configHash(config), dropped: why };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
