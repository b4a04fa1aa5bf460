import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleAllows, type Principal, type Role, type TokenRegistry } from '@kbisect/service';
import { ApiError } from '../api-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * An onRequest hook (so authentication precedes body parsing and validation: no 400 before a 401)
 * that admits bearer tokens, or a browser session (resolved by session-auth.ts's root onRequest hook,
 * which runs before every route's), holding at least `role`: 401 without one, 403 below it.
 */
export function requireRole(tokens: TokenRegistry, role: Role) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    let principal: Principal | undefined;
    if (header === undefined && request.session && request.principal) {
      principal = request.principal;
    } else {
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match) throw new ApiError('KBISECT_ERR_UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>), or a signed-in session');
      principal = tokens.lookup(match[1]!);
      if (!principal) throw new ApiError('KBISECT_ERR_UNAUTHENTICATED', 'the bearer token is not valid');
    }
    if (!roleAllows(principal.role, role)) throw new ApiError('KBISECT_ERR_FORBIDDEN', `this needs the '${role}' role; the token has '${principal.role}'`);
    request.principal = principal;
  };
}
