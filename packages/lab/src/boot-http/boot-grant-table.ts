/**
 * Which per-boot tokens are live. Pure (the clock is passed in): the server
 * asks it about every request, the boot test adds and revokes.
 *
 * A token is live from its grant until it is revoked (the boot test ended)
 * or its time runs out, whichever comes first. Retired tokens are kept for
 * a while only so a late request is logged with the machine it belonged to.
 */
export interface GrantEntry<T> {
  readonly value: T;
  readonly expiresAt: number;
  /** Why the token no longer works, once it does not: the boot ended, or its time ran out. */
  retired?: 'revoked' | 'expired';
}

export type Lookup<T> =
  | { readonly kind: 'live'; readonly value: T }
  | { readonly kind: 'expired' | 'revoked'; readonly value: T }
  | { readonly kind: 'unknown' };

/** Tokens a retired grant is still remembered for, at most. */
const REMEMBER_RETIRED = 1024;

export class BootGrantTable<T> {
  private readonly entries = new Map<string, GrantEntry<T>>();

  add(token: string, value: T, expiresAt: number): void {
    this.entries.set(token, { value, expiresAt });
    this.prune();
  }

  lookup(token: string, now: number): Lookup<T> {
    const e = this.entries.get(token);
    if (e === undefined) return { kind: 'unknown' };
    if (e.retired !== undefined) return { kind: e.retired, value: e.value };
    if (now >= e.expiresAt) return { kind: 'expired', value: e.value };
    return { kind: 'live', value: e.value };
  }

  /** Retires a token; returns its value the first time only (the caller releases what it holds). */
  revoke(token: string, why: 'revoked' | 'expired' = 'revoked'): T | undefined {
    const e = this.entries.get(token);
    if (e === undefined || e.retired !== undefined) return undefined;
    e.retired = why;
    return e.value;
  }

  /** Live tokens (for closing everything at shutdown). */
  unrevoked(): [string, T][] {
    return [...this.entries].filter(([, e]) => e.retired === undefined).map(([t, e]) => [t, e.value]);
  }

  private prune(): void {
    // Maps iterate in insertion order: the oldest retired grants go first.
    let retired = [...this.entries.values()].filter((e) => e.retired !== undefined).length;
    for (const [token, e] of this.entries) {
      if (retired <= REMEMBER_RETIRED) break;
      if (e.retired !== undefined) {
        this.entries.delete(token);
        retired--;
      }
    }
  }
}
