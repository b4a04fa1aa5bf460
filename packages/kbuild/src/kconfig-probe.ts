import { indexGraph, type CommitGraph } from '@kbisect/bisect';
import { evaluate, printExpr, type Expr, type Tri } from './kconfig-expr.js';
import { parseKconfig, type KconfigSymbol } from './kconfig-file.js';

/** What the cheap probe reads from git: no checkout, no build. GitRepo provides it. */
export interface RevisionReader {
  readFileAt(sha: string, path: string): Promise<string | null>;
  /** Files (at `sha`) whose lines match `^(menu)?config NAME$` for the names, as name → path. */
  findSymbolFiles(sha: string, names: readonly string[]): Promise<Map<string, string>>;
  /** Commits of the range that change any of `paths`. */
  logTouching(bad: string, goods: readonly string[], paths: readonly string[]): Promise<string[]>;
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
 * required symbols, judged from the Kconfig files alone. The answer only
 * changes where those files change, so files are read and parsed only at the
 * commits that touch them (one `git log -- files` for the range) and at merges
 * whose parents disagree; every other commit inherits its parent's answer.
 */
export async function probeUntestable(reader: RevisionReader, args: { graph: CommitGraph; bad: string; goods: readonly string[]; required: readonly string[] }): Promise<Record<string, string>> {
  const names = symbolNames(args.required);
  if (names.length === 0) return {};
  const defining = await reader.findSymbolFiles(args.bad, names);
  const files = [...new Set(defining.values())].sort();
  const touching = new Set(files.length > 0 ? await reader.logTouching(args.bad, args.goods, files) : []);
  const cache = new Map<string, string | null>();
  const judge = async (sha: string): Promise<string | null> => {
    const hit = cache.get(sha);
    if (hit !== undefined) return hit;
    const verdict = await judgeRevision(reader, sha, names, files);
    cache.set(sha, verdict);
    return verdict;
  };

  const { commits, parents } = args.graph;
  const answer = new Array<string | null | undefined>(commits.length);
  // Parents before children, so every commit can inherit its parent's answer.
  for (const c of indexGraph(args.graph).topo) {
    const sha = commits[c]!;
    const ps = parents[c] ?? [];
    const inRange = ps.filter((p) => p >= 0);
    if (touching.has(sha) || inRange.length === 0 || inRange.length < ps.length) {
      answer[c] = await judge(sha);
      continue;
    }
    const first = answer[inRange[0]!] ?? null;
    answer[c] = inRange.every((p) => (answer[p] ?? null) === first) ? first : await judge(sha);
  }
  const out: Record<string, string> = {};
  commits.forEach((sha, i) => {
    const reason = answer[i];
    if (reason) out[sha] = reason;
  });
  return out;
}

/** Why the required symbols cannot all be enabled at `sha`, or null when they may be. */
export async function judgeRevision(reader: RevisionReader, sha: string, names: readonly string[], files: readonly string[]): Promise<string | null> {
  const symbols = new Map<string, KconfigSymbol>();
  for (const file of files) {
    const text = await reader.readFileAt(sha, file);
    if (text === null) continue;
    for (const [name, sym] of parseKconfig(text, file)) symbols.set(name, sym);
  }
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
