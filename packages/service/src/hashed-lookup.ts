import { timingSafeEqual } from 'node:crypto';

export interface HashedEntry<P> {
  readonly hash: Buffer;
  readonly principal: P;
}

/**
 * The principal whose token hashes to `sha256`, comparing with every entry in
 * constant time (no early exit), so timing says nothing about which entry or
 * how many bytes matched. The API's tokens and the artifact store's
 * credentials are both looked up here.
 */
export function findByHash<P>(entries: readonly HashedEntry<P>[], sha256: string): P | undefined {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  const hash = Buffer.from(sha256, 'hex');
  let found: P | undefined;
  for (const e of entries) if (timingSafeEqual(e.hash, hash)) found = e.principal;
  return found;
}
