/**
 * Kconfig dependency expressions (`A && (B || !C)`, `X = y`, `X != n`) and
 * their evaluation in three-valued logic: a symbol we know nothing about is
 * "maybe", so only a dependency that is false whatever the unknowns are
 * makes a commit untestable.
 */
export type Expr =
  | { readonly op: 'sym'; readonly name: string }
  | { readonly op: 'const'; readonly value: Tri }
  | { readonly op: 'not'; readonly arg: Expr }
  | { readonly op: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'eq' | 'neq'; readonly left: string; readonly right: string };

/** n, maybe, y. (`m` counts as satisfiable, like y, for "can it be enabled".) */
export type Tri = 'n' | 'maybe' | 'y';

export class KconfigSyntaxError extends Error {
  readonly code = 'KBISECT_ERR_KCONFIG_SYNTAX';
  readonly category = 'user' as const;
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'KconfigSyntaxError';
  }
}

const TOKEN = /\s*(&&|\|\||!=|[!()=]|"[^"]*"|'[^']*'|[A-Za-z0-9_.$-]+)/y;

export function parseExpr(text: string, where: string): Expr {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let rest = text.trim();
  let pos = 0;
  while (pos < rest.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(rest);
    if (!m) throw new KconfigSyntaxError(where, `cannot read '${rest.slice(pos, pos + 20)}' in a dependency`);
    tokens.push(m[1]!);
    pos = TOKEN.lastIndex;
    while (pos < rest.length && /\s/.test(rest[pos]!)) pos++;
  }
  rest = '';
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new KconfigSyntaxError(where, `dependency '${text}' ends too early`);
    return t;
  };
  const primary = (): Expr => {
    const t = take();
    if (t === '!') return { op: 'not', arg: primary() };
    if (t === '(') {
      const e = or();
      if (take() !== ')') throw new KconfigSyntaxError(where, `unbalanced parentheses in '${text}'`);
      return e;
    }
    if (t === ')' || t === '&&' || t === '||' || t === '=' || t === '!=') throw new KconfigSyntaxError(where, `unexpected '${t}' in '${text}'`);
    if (peek() === '=' || peek() === '!=') {
      const op = take() === '=' ? 'eq' : 'neq';
      return { op, left: unquote(t), right: unquote(take()) };
    }
    const value = unquote(t);
    if (value === 'y' || value === 'm') return { op: 'const', value: 'y' };
    if (value === 'n') return { op: 'const', value: 'n' };
    return { op: 'sym', name: value };
  };
  const and = (): Expr => {
    let e = primary();
    while (peek() === '&&') {
      take();
      e = { op: 'and', left: e, right: primary() };
    }
    return e;
  };
  const or = (): Expr => {
    let e = and();
    while (peek() === '||') {
      take();
      e = { op: 'or', left: e, right: and() };
    }
    return e;
  };
  if (tokens.length === 0) throw new KconfigSyntaxError(where, 'empty dependency');
  const e = or();
  if (i !== tokens.length) throw new KconfigSyntaxError(where, `unexpected '${tokens[i]}' in '${text}'`);
  return e;
}

function unquote(t: string): string {
  return (t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")) ? t.slice(1, -1) : t;
}

/** Evaluates with `lookup` giving what is known of each symbol. */
export function evaluate(e: Expr, lookup: (name: string) => Tri): Tri {
  switch (e.op) {
    case 'const':
      return e.value;
    case 'sym':
      return lookup(e.name);
    case 'not': {
      const v = evaluate(e.arg, lookup);
      return v === 'y' ? 'n' : v === 'n' ? 'y' : 'maybe';
    }
    case 'and': {
      const l = evaluate(e.left, lookup);
      const r = evaluate(e.right, lookup);
      if (l === 'n' || r === 'n') return 'n';
      return l === 'y' && r === 'y' ? 'y' : 'maybe';
    }
    case 'or': {
      const l = evaluate(e.left, lookup);
      const r = evaluate(e.right, lookup);
      if (l === 'y' || r === 'y') return 'y';
      return l === 'n' && r === 'n' ? 'n' : 'maybe';
    }
    case 'eq':
    case 'neq': {
      // Only a symbol known to be n compared with n (or y) can be decided here.
      const side = (s: string): Tri | undefined => (s === 'y' || s === 'm' ? 'y' : s === 'n' ? 'n' : /^[A-Z0-9_]+$/.test(s) ? lookup(s) : undefined);
      const l = side(e.left);
      const r = side(e.right);
      if (l === undefined || r === undefined || l === 'maybe' || r === 'maybe') return 'maybe';
      const equal = l === r;
      return (e.op === 'eq') === equal ? 'y' : 'n';
    }
  }
}


export function printExpr(e: Expr): string {
  switch (e.op) {
    case 'sym':
      return e.name;
    case 'const':
      return e.value;
    case 'not':
      return `!${printExpr(e.arg)}`;
    case 'and':
      return `${printExpr(e.left)} && ${printExpr(e.right)}`;
    case 'or':
      return `(${printExpr(e.left)} || ${printExpr(e.right)})`;
    case 'eq':
      return `${e.left}=${e.right}`;
    case 'neq':
      return `${e.left}!=${e.right}`;
  }
}
