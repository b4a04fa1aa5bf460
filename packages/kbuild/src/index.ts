export { parseExpr, evaluate, printExpr, symbolsOf, KconfigSyntaxError, type Expr, type Tri } from './kconfig-expr.js';
export { parseKconfig, type KconfigSymbol } from './kconfig-file.js';
export { probeUntestable, judgeRevision, symbolNames, InvalidConfigSymbolError, type RevisionReader } from './kconfig-probe.js';
