/**
 * Text from the API may carry what a kernel tree, a console or a test
 * printed — commit subjects, reasons, console lines, test output — so it is
 * made inert before it reaches a terminal: escape sequences (CSI, OSC, DCS
 * and the like) are removed whole, then every other control character (C0
 * except newline and tab, DEL, C1). A hostile subject cannot clear the
 * screen, retitle the window, move the cursor over earlier output or hide
 * text.
 */
// ESC followed by a CSI (ESC [ … final), an OSC/DCS/SOS/PM/APC string (up to BEL or ST), or a single character.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]?)|\x9b[0-?]*[ -/]*[@-~]|[\x90\x9d\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c|\x1b\\)?/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function terminalSafe(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/** Every string inside a parsed JSON value, made terminal-safe (keys included). */
export function terminalSafeDeep<T>(value: T): T {
  if (typeof value === 'string') return terminalSafe(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => terminalSafeDeep(v)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [terminalSafe(k), terminalSafeDeep(v as unknown)])) as T;
  return value;
}
