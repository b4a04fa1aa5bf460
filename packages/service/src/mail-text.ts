/**
 * Plain text for a mail: no terminal control characters from commit
 * messages, lines wrapped at 72 columns without breaking long tokens
 * (shas, URLs) and without turning tabs into spaces.
 */
export const MAIL_WIDTH = 72;

/** The text with C0/C1 control characters and DEL removed, tabs and newlines kept (an ESC sequence's printable tail stays, harmless). */
export function mailSafe(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c < 0x20 && ch !== '\t' && ch !== '\n') || (c >= 0x7f && c <= 0x9f)) continue;
    out += ch;
  }
  return out;
}

/** Columns a string takes, tabs to the next multiple of 8. */
function columns(s: string, start = 0): number {
  let col = start;
  for (const ch of s) col = ch === '\t' ? col + 8 - (col % 8) : col + 1;
  return col;
}

/**
 * One logical line wrapped at `width`: continuation lines repeat the
 * line's leading whitespace plus `hang`. A word longer than the width stays
 * whole on a line of its own.
 */
export function wrapLine(line: string, width = MAIL_WIDTH, hang = ''): string[] {
  if (columns(line) <= width) return [line];
  const indent = /^[ \t]*/.exec(line)![0];
  const words = line.slice(indent.length).split(/( +)/).filter((w) => w !== '' && !/^ +$/.test(w));
  const out: string[] = [];
  let current = indent;
  let empty = true;
  for (const w of words) {
    const candidate = empty ? current + w : `${current} ${w}`;
    if (!empty && columns(candidate) > width) {
      out.push(current);
      current = indent + hang + w;
    } else current = candidate;
    empty = false;
  }
  out.push(current);
  return out;
}

/** Trailer lines (Fixes:, Reported-by:, Link: …) and bot commands are parsed by tools: never wrapped. */
const UNWRAPPED = /^(?:(?:Reported-by|Closes|Link|Fixes|Cc|Tested-by|Signed-off-by): \S|#regzbot )/;

/** A whole text, each line made mail-safe and wrapped (trailer and #regzbot lines kept whole). */
export function wrapText(text: string, width = MAIL_WIDTH): string {
  return mailSafe(text).split('\n').flatMap((l) => (UNWRAPPED.test(l) ? [l.trimEnd()] : wrapLine(l.trimEnd(), width, '  '))).join('\n');
}
