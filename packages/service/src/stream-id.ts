/** Redis stream ids (`<ms>-<seq>`) in stream order; ids compared as numbers, never as strings. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/** Before any entry: XRANGE/XREAD from here read a stream from its start. */
export const STREAM_START = '0-0';
