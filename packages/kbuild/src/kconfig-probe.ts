import type { CommitGraph } from '@kbisect/bisect';
import { evaluate, printExpr, type Expr, type Tri } from './kconfig-expr.js';
import { parseKconfig, type KconfigSymbol } from './kconfig-file.js';

/** What the cheap probe reads from git: no checkout, no build. GitRepo provides it. */
export interface RevisionReader {
  /** Files (at `sha`) whose lines match `^(menu)?config NAME$` for the names, as name → path. */
  findSymbolFiles(sha: string, names: readonly string[]): Promise<Map<string, string>>;
  /** For each commit, the blob id of each path (null where absent): one batched git call. */
  blobIdsAt(commits: readonly string[], paths: readonly string[]): Promise<Map<string, readonly (string | null)[]>>;
  /** Blob texts by id: one batched git call. */
  readBlobs(ids: readonly string[]): Promise<Map<string, string>>;
}

export class InvalidConfigSymbolError extends Error {
  readonly code = 'KBISECT_ERR_INVALID_CONFIG_SYMBOL';
  readonly category = 'user' as const;
  constructor(symbol: string) {
    super(`--require-config: '${symbol}' is not a kernel config symbol (expected CONFIG_[A-Z0-9_]+)`);
    this.name = 'InvalidConfigSymbolError';
  }
}

/** Checks and strips the CONFIG_ prefix. */
export function symbolNames(required: readonly string[]): string[] {
  return required.map((s) => {
    if (!/^CONFIG_[A-Z0-9_]+$/.test(s)) throw new InvalidConfigSymbolError(s);
    return s.slice('CONFIG_'.length);
  });
}

/**
 * The cheap untestable probe: which commits of the range cannot enable the
 * required symbols, judged from the Kconfig files alone. Every commit is
 * judged from its own blob ids (one batched lookup for the whole range), so
 * no history simplification can hide a commit, on any DAG; each distinct
 * blob is read and parsed once, each distinct combination judged once.
 */
export async function probeUntestable(reader: RevisionReader, args: { graph: CommitGraph; bad: string; goods: readonly string[]; required: readonly string[] }): Promise<Record<string, string>> {
  const names = symbolNames(args.required);
  if (names.length === 0) return {};
  const defining = await reader.findSymbolFiles(args.bad, names);
  const files = [...new Set(defining.values())].sort();
  const { commits } = args.graph;
  const blobs = files.length > 0 ? await reader.blobIdsAt(commits, files) : new Map<string, readonly (string | null)[]>();
  const idsOf = (sha: string): readonly (string | null)[] => blobs.get(sha) ?? files.map(() => null);
  const distinct = [...new Set(commits.flatMap((sha) => idsOf(sha).filter((id): id is string => id !== null)))];
  const texts = await reader.readBlobs(distinct);
  const parsed = new Map<string, Map<string, KconfigSymbol>>();
  const parse = (id: string, file: string): Map<string, KconfigSymbol> => {
    const key = `${file}\0${id}`;
    let syms = parsed.get(key);
    if (!syms) {
      const text = texts.get(id);
      if (text === undefined) throw new Error(`blob ${id} of ${file} was not read`);
      syms = parseKconfig(text, file);
      parsed.set(key, syms);
    }
    return syms;
  };
  const judged = new Map<string, string | null>();
  const out: Record<string, string> = {};
  for (const sha of commits) {
    const ids = idsOf(sha);
    const key = ids.map((id) => id ?? '-').join(' ');
    let reason = judged.get(key);
    if (reason === undefined) {
      const symbols = new Map<string, KconfigSymbol>();
      ids.forEach((id, i) => {
        if (id !== null) for (const [name, sym] of parse(id, files[i]!)) symbols.set(name, sym);
      });
      reason = judgeSymbols(symbols, names, files);
      judged.set(key, reason);
    }
    if (reason) out[sha] = reason;
  }
  return out;
}

/** Why the required symbols cannot all be enabled given the parsed Kconfig files, or null when they may be. */
export function judgeSymbols(symbols: ReadonlyMap<string, KconfigSymbol>, names: readonly string[], files: readonly string[]): string | null {
  for (const name of names) {
    const sym = symbols.get(name);
    if (!sym) return `CONFIG_${name} is not defined at this commit (${files.join(', ') || 'no Kconfig file defines it at the bad end'})`;
    const blocker = blockingDependency(sym, symbols);
    if (blocker) return `CONFIG_${name} depends on ${blocker.expr} at this commit (${blocker.file})`;
  }
  return null;
}

// The part of a symbol's dependencies that is certainly false, if any.
function blockingDependency(sym: KconfigSymbol, symbols: ReadonlyMap<string, KconfigSymbol>): { expr: string; file: string } | undefined {
  const state = new Map<string, Tri>();
  const lookup = (name: string): Tri => {
    if (name === 'BROKEN') return 'n';
    const known = state.get(name);
    if (known) return known;
    const s = symbols.get(name);
    if (!s) return 'maybe';
    state.set(name, 'maybe'); // cycle guard
    const v: Tri = s.dependsOn.some((d) => evaluate(d, lookup) === 'n') ? 'n' : 'maybe';
    state.set(name, v);
    return v;
  };
  for (const dep of sym.dependsOn) {
    if (evaluate(dep, lookup) === 'n') return { expr: printExpr(falsePart(dep, lookup)), file: sym.file };
  }
  return undefined;
}

// Narrows `A && BROKEN` to `BROKEN`: the reason names what actually blocks.
function falsePart(e: Expr, lookup: (name: string) => Tri): Expr {
  if (e.op === 'and') {
    if (evaluate(e.left, lookup) === 'n') return falsePart(e.left, lookup);
    if (evaluate(e.right, lookup) === 'n') return falsePart(e.right, lookup);
  }
  return e;
}
