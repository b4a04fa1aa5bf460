/**
 * A log line as the terminal showed it. Serial consoles carry what firmware
 * draws for a screen: iPXE clears it (ESC c, ESC [2J), rubs its download
 * percentages out with backspaces ("vmlinuz... 17%\b\b\b\b    \b\b\b\b ok"),
 * and every line ends in CR. The stored evidence keeps every byte (the raw
 * file link serves it); the viewer shows what a reader at the terminal saw:
 * escape sequences removed, backspace and carriage return applied as a
 * terminal applies them, other control characters dropped. Pure.
 */
// ESC and a CSI (ESC [ … final), an OSC string (to BEL or ST), or one more character.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -~]?)/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

export function screenLine(raw: string): string {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  // Most lines hold no control character at all: they are shown as they are.
  if (!CONTROL.test(line)) return line;
  const cells: string[] = [];
  let cursor = 0;
  for (const ch of line.replace(ESCAPE_SEQUENCE, '')) {
    if (ch === '\r') cursor = 0;
    else if (ch === '\b') cursor = Math.max(0, cursor - 1);
    else if (!CONTROL.test(ch)) cells[cursor++] = ch;
  }
  return Array.from(cells, (c) => c ?? ' ').join('').trimEnd();
}
