import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { findByHash, hashToken, storeRoleAllows, type HashedEntry, type StoreRole } from '@kbisect/service';
import { StoreConfigError, StoreError } from './store-errors.js';

/** The store's credentials file: like the API's token file, only sha256 hashes at rest, with store roles. */
export const StoreTokenFileSchema = Type.Object({
  tokens: Type.Array(Type.Object({
    name: Type.String({ minLength: 1, maxLength: 64 }),
    role: Type.Union([Type.Literal('lab'), Type.Literal('build')]),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  }, { additionalProperties: false }), { minItems: 1 }),
}, { additionalProperties: false });
export type StoreTokenFile = Static<typeof StoreTokenFileSchema>;

export interface StorePrincipal {
  readonly name: string;
  readonly role: StoreRole;
}

/** Bearer credentials of the store, looked up by hash in constant time (the API's findByHash). */
export class StoreCredentials {
  private readonly entries: HashedEntry<StorePrincipal>[];

  constructor(file: StoreTokenFile) {
    this.entries = file.tokens.map((t) => ({ hash: Buffer.from(t.sha256, 'hex'), principal: { name: t.name, role: t.role } }));
  }

  static parse(json: string, source: string): StoreCredentials {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new StoreConfigError(`${source}: not valid JSON`);
    }
    if (!Value.Check(StoreTokenFileSchema, parsed)) {
      const first = Value.Errors(StoreTokenFileSchema, parsed).First();
      throw new StoreConfigError(`${source}: ${first ? `${first.path || '/'} ${first.message}` : 'invalid credentials file'}`);
    }
    return new StoreCredentials(parsed);
  }

  /** The principal of an `Authorization: Bearer …` header that holds at least `needed`; throws 401/403 otherwise. */
  require(authorization: string | undefined, needed: StoreRole): StorePrincipal {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    const principal = token === undefined ? undefined : findByHash(this.entries, hashToken(token));
    if (!principal) throw new StoreError('KBISECT_ERR_STORE_UNAUTHENTICATED', 'a store credential is required (Authorization: Bearer <token>)');
    if (!storeRoleAllows(principal.role, needed)) throw new StoreError('KBISECT_ERR_STORE_FORBIDDEN', `credential '${principal.name}' has role '${principal.role}'; this needs '${needed}'`);
    return principal;
  }
}
