/** Which log lines the viewer marks: what the boot classifier and a build's first error look like. Pure. */
export type LineClass = 'mark' | 'result' | undefined;

const CRASH = /Kernel panic|\bOops\b|\bBUG:|general protection fault|Call Trace:|WARNING: CPU:|Unable to handle kernel|hung_task|soft lockup/;
const RESULT = /KBISECT-RESULT/;
const BUILD_ERROR = /(\berror:|\*\*\* \[|Error \d+\b|undefined reference to)/;

export function classifyLine(line: string, kind: 'console' | 'build'): LineClass {
  if (RESULT.test(line)) return 'result';
  if (kind === 'console' ? CRASH.test(line) : BUILD_ERROR.test(line)) return 'mark';
  return undefined;
}
