/** True when `s` holds a C0 control character or DEL (newlines included): never valid in refs, paths or URLs we accept. */
export function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** The same text with control characters shown as '?', for one-line messages. */
export function printable(s: string): string {
  let out = '';
  for (const ch of s.slice(0, 200)) out += hasControlChars(ch) ? '?' : ch;
  return out;
}
