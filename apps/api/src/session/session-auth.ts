import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenRegistry } from '@kbisect/service';
import { ApiError } from '../api-errors.js';
import { sessionIdFrom } from './session-cookie.js';
import type { Session, SessionStore } from './session-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The browser session the request came with (cookie), when it has no bearer token. */
    session?: { readonly sid: string; readonly data: Session };
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Resolves the session cookie into a principal before any route runs.
 * A request with an Authorization header is left to the bearer check
 * (API clients are unaffected); a cookie request that changes state must
 * carry the session's CSRF token in X-CSRF-Token, so another page cannot
 * act with the user's cookie even where SameSite is not honoured.
 */
export function installSessionAuth(app: FastifyInstance, sessions: SessionStore, tokens: TokenRegistry): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    // Only the API acts on a principal; pages and assets are public and need no Redis round trip.
    if (request.headers.authorization !== undefined || !request.url.startsWith('/api/')) return;
    const sid = sessionIdFrom(request.headers.cookie);
    if (!sid) return;
    const data = await sessions.get(sid);
    if (!data) return;
    const principal = tokens.byHash(data.tokenSha256);
    if (!principal) return;
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, data.csrf)) {
        throw new ApiError('KBISECT_ERR_CSRF', 'x-csrf-token: a request made with the session cookie must carry the CSRF token from GET /api/v1/session', 'x-csrf-token');
      }
    }
    request.session = { sid, data };
    request.principal = principal;
  });
}
