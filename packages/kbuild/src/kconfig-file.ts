import { KconfigSyntaxError, parseExpr, type Expr } from './kconfig-expr.js';

/** One `config`/`menuconfig` entry with every dependency that applies to it. */
export interface KconfigSymbol {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** Its own `depends on` lines and those of enclosing `if`, `menu` and `choice` blocks. */
  readonly dependsOn: readonly Expr[];
  /** Has a prompt (can be set by a user), as opposed to a hidden symbol. */
  readonly prompt: boolean;
  /** Has a `default` line. */
  readonly hasDefault: boolean;
}

const BLOCK_ATTRS = new Set(['bool', 'tristate', 'string', 'int', 'hex', 'prompt', 'default', 'def_bool', 'def_tristate', 'select', 'imply', 'range', 'option', 'modules', 'visible', 'transitional']);

/**
 * Reads the parts of a Kconfig file a dependency check needs: symbol entries,
 * their `depends on`, and the dependencies `if`, `menu` and `choice` blocks
 * add. Help text is skipped by indentation, as kconfig does.
 */
export function parseKconfig(text: string, file: string): Map<string, KconfigSymbol> {
  const symbols = new Map<string, KconfigSymbol>();
  const scopes: { kind: 'if' | 'menu' | 'choice'; deps: Expr[] }[] = [];
  let current: { name: string; line: number; deps: Expr[]; prompt: boolean; hasDefault: boolean } | undefined;
  let block: 'config' | 'menu' | 'choice' | 'other' = 'other';
  let helpIndent: number | undefined;
  const lines = text.split('\n');
  const flush = (): void => {
    if (current) {
      const inherited = scopes.flatMap((s) => s.deps);
      symbols.set(current.name, { name: current.name, file, line: current.line, dependsOn: [...inherited, ...current.deps], prompt: current.prompt, hasDefault: current.hasDefault });
    }
    current = undefined;
  };
  for (let n = 0; n < lines.length; n++) {
    let raw = lines[n]!;
    // Backslash continuation lines join.
    while (raw.endsWith('\\') && n + 1 < lines.length) raw = raw.slice(0, -1) + ' ' + lines[++n]!;
    const where = `${file}:${n + 1}`;
    let indent = 0;
    for (const ch of raw.match(/^[ \t]*/)![0]) indent = ch === '\t' ? indent + 8 - (indent % 8) : indent + 1;
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (helpIndent !== undefined) {
      if (raw.trim() === '' || indent > helpIndent) continue;
      helpIndent = undefined;
    }
    if (line === '') continue;
    const [keyword = '', ...restWords] = line.split(/\s+/);
    const rest = line.slice(keyword.length).trim();
    switch (keyword) {
      case 'config':
      case 'menuconfig':
        flush();
        if (!/^[A-Za-z0-9_]+$/.test(rest)) throw new KconfigSyntaxError(where, `'${keyword}' needs a symbol name`);
        current = { name: rest, line: n + 1, deps: [], prompt: false, hasDefault: false };
        block = 'config';
        break;
      case 'depends':
        if (restWords[0] !== 'on') throw new KconfigSyntaxError(where, "expected 'depends on'");
        {
          const expr = parseExpr(rest.slice(2).trim(), where);
          if (block === 'config' && current) current.deps.push(expr);
          else if ((block === 'menu' || block === 'choice') && scopes.length > 0) scopes[scopes.length - 1]!.deps.push(expr);
        }
        break;
      case 'if':
        flush();
        block = 'other';
        scopes.push({ kind: 'if', deps: [parseExpr(rest, where)] });
        break;
      case 'endif':
      case 'endmenu':
      case 'endchoice': {
        flush();
        block = 'other';
        const want = keyword === 'endif' ? 'if' : keyword === 'endmenu' ? 'menu' : 'choice';
        const top = scopes.pop();
        if (!top || top.kind !== want) throw new KconfigSyntaxError(where, `'${keyword}' without a matching '${want}'`);
        break;
      }
      case 'menu':
        flush();
        scopes.push({ kind: 'menu', deps: [] });
        block = 'menu';
        break;
      case 'choice':
        flush();
        scopes.push({ kind: 'choice', deps: [] });
        block = 'choice';
        break;
      case 'help':
      case '---help---':
        helpIndent = indent;
        break;
      case 'source':
      case 'rsource':
      case 'osource':
      case 'orsource':
      case 'mainmenu':
      case 'comment':
        flush();
        block = 'other';
        break;
      default:
        if (current && block === 'config') {
          if ((keyword === 'bool' || keyword === 'tristate' || keyword === 'string' || keyword === 'int' || keyword === 'hex') && rest.startsWith('"')) current.prompt = true;
          if (keyword === 'prompt') current.prompt = true;
          if (keyword === 'default' || keyword === 'def_bool' || keyword === 'def_tristate') current.hasDefault = true;
        } else if (block === 'other' && !BLOCK_ATTRS.has(keyword)) {
          throw new KconfigSyntaxError(where, `unknown keyword '${keyword}'`);
        }
    }
  }
  flush();
  if (scopes.length > 0) throw new KconfigSyntaxError(`${file}:${lines.length}`, `'${scopes[scopes.length - 1]!.kind}' is never closed`);
  return symbols;
}
