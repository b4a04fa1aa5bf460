/**
 * iPXE's console line for a file it fetched: "<url>... ok". A fetch longer
 * than a second (a loaded machine, a big kernel) shows its progress between
 * the dots and the "ok", each percentage rubbed out with backspaces
 * ("vmlinuz...  42%\b\b\b\b    \b\b\b\b ok"), so the line is matched with
 * that progress allowed. `url` is a regular-expression source.
 */
export function ipxeFetchedOk(url: string): RegExp {
  return new RegExp(`${url}\\.\\.\\.[ 0-9%\\x08]* ok`);
}

/** A literal piece of a URL as a regular-expression source. */
export const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
