import { createHash, randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { splitEnvList } from './env-list.js';
import { findByHash, type HashedEntry } from './hashed-lookup.js';
import { isRole, type Role } from './roles.js';
import { DEFAULT_TOKEN_LIMITS, TokenLimitOverridesSchema, type TokenLimits } from './token-limits.js';

/** The operator's token file: only sha256 hashes are kept at rest. */
export const TokenFileSchema = Type.Object({
  tokens: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1, maxLength: 64 }),
      role: Type.Union([Type.Literal('read'), Type.Literal('submit'), Type.Literal('maintain'), Type.Literal('admin')]),
      sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      /** May submit `command` probes (a shell command run on a worker) when the operator allows them at all. */
      commandProbe: Type.Optional(Type.Boolean()),
      /** May give its command probes the worker's network (`probe.network: true`), where the worker allows it (KBISECT_PROBE_NETWORK=allow). */
      network: Type.Optional(Type.Boolean()),
      /** This token's own limits; each missing one is the deployment's default (KBISECT_LIMIT_*). */
      limits: Type.Optional(TokenLimitOverridesSchema),
    }),
  ),
});
export type TokenFile = Static<typeof TokenFileSchema>;

/** The permissions KBISECT_TOKENS may add after role:name:sha256. */
const TOKEN_FLAGS = ['command', 'network'];

export interface Principal {
  readonly name: string;
  readonly role: Role;
  readonly commandProbe: boolean;
  readonly network: boolean;
  readonly limits: TokenLimits;
}

/** Whether a principal may submit command probes (when the deployment accepts them at all): the token says so, or it is an admin's. */
export function mayRunCommandProbes(p: Pick<Principal, 'role' | 'commandProbe'>): boolean {
  return p.commandProbe || p.role === 'admin';
}

/** Whether a principal may ask for the network in a command probe (when a worker allows it at all): the token says so, or it is an admin's. */
export function mayUseProbeNetwork(p: Pick<Principal, 'role' | 'network'>): boolean {
  return p.network || p.role === 'admin';
}

export class TokenConfigError extends Error {
  readonly code = 'KBISECT_ERR_TOKEN_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'TokenConfigError';
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newToken(): string {
  return `kb_${randomBytes(24).toString('base64url')}`;
}

/** Looks bearer tokens up by hash, in constant time per candidate. */
export class TokenRegistry {
  private readonly entries: HashedEntry<Principal>[];

  /** `defaults`: the deployment's limits (tokenLimitsFromEnv), under each token's own. */
  constructor(file: TokenFile, defaults: TokenLimits = DEFAULT_TOKEN_LIMITS) {
    const names = new Set<string>();
    for (const t of file.tokens) {
      // Limits and quotas are counted by name: two tokens sharing one would share them.
      if (names.has(t.name)) throw new TokenConfigError(`tokens: the name '${t.name}' is used twice`);
      names.add(t.name);
    }
    this.entries = file.tokens.map((t) => ({ hash: Buffer.from(t.sha256, 'hex'), principal: { name: t.name, role: t.role, commandProbe: t.commandProbe ?? false, network: t.network ?? false, limits: { ...defaults, ...t.limits } } }));
  }

  static parse(json: string, source: string, defaults: TokenLimits = DEFAULT_TOKEN_LIMITS): TokenRegistry {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new TokenConfigError(`${source}: not valid JSON`);
    }
    if (!Value.Check(TokenFileSchema, parsed)) {
      const first = Value.Errors(TokenFileSchema, parsed).First();
      throw new TokenConfigError(`${source}: ${first ? `${first.path || '/'} ${first.message}` : 'invalid token file'}`);
    }
    return new TokenRegistry(parsed, defaults);
  }

  /** KBISECT_TOKENS="role:name:sha256[:command][:network],…" for deployments that configure by environment. */
  static fromEnv(value: string, defaults: TokenLimits = DEFAULT_TOKEN_LIMITS): TokenRegistry {
    const tokens: TokenFile['tokens'] = [];
    for (const item of splitEnvList(value)) {
      const [role, name, sha256, ...flags] = item.split(':');
      if (!role || !isRole(role) || !name || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
        throw new TokenConfigError(`KBISECT_TOKENS: '${item.slice(0, 40)}' is not role:name:sha256[:command][:network]`);
      }
      // An unknown flag is refused rather than ignored: a misspelt permission must not silently be none.
      const unknown = flags.find((f) => !TOKEN_FLAGS.includes(f));
      if (unknown !== undefined) throw new TokenConfigError(`KBISECT_TOKENS: token '${name}': unknown flag '${unknown.slice(0, 20)}' (${TOKEN_FLAGS.join(', ')})`);
      tokens.push({ name, role, sha256, ...(flags.includes('command') ? { commandProbe: true } : {}), ...(flags.includes('network') ? { network: true } : {}) });
    }
    return new TokenRegistry({ tokens }, defaults);
  }

  lookup(token: string): Principal | undefined {
    return this.byHash(hashToken(token));
  }

  /** The principal of a token known by its sha256 (a browser session keeps only that), if it is still listed. */
  byHash(sha256: string): Principal | undefined {
    return findByHash(this.entries, sha256);
  }
}
