import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SessionViewSchema as SessionView, hashToken, type Role } from '@kbisect/service';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { clearedSessionCookie, sessionCookie } from '../session/session-cookie.js';
import { SESSION_TTL_SECONDS, type SessionStore } from '../session/session-store.js';
import { SignInLimiter } from '../session/sign-in-limit.js';

/**
 * Browser sign-in: a token is exchanged for an HttpOnly session cookie, so
 * the token never stays in page storage. API clients keep using bearer tokens.
 */
export function sessionRoutes(deps: AppDeps, sessions: SessionStore): FastifyPluginAsyncTypebox {
  return async (app) => {
    const secure = (protocol: string): boolean => protocol === 'https' || (deps.publicUrl?.startsWith('https:') ?? false);
    const limiter = new SignInLimiter(deps.redis, deps.store.keys, deps.signInLimits);
    const viewOf = (name: string, role: Role, commandProbe: boolean, csrf: string) => ({ name, role, commandProbe: deps.allowCommandProbe && (commandProbe || role === 'admin'), csrf });

    app.post('/session', {
      schema: {
        summary: 'Sign in with a token: sets the session cookie (rate limited per client address and per token: 429 with Retry-After)',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
        response: { 201: SessionView, ...errorResponses },
      },
    }, async (request, reply) => {
      // Counted before the token is looked at, so a refused attempt tells nothing about the token.
      const admitted = await limiter.attempt(request.ip, hashToken(request.body.token));
      if (!admitted.ok) {
        const wait = Math.ceil(admitted.retryAfterMs / 1000);
        request.log.warn({ scope: admitted.scope, client: request.ip }, 'sign-in rate limited');
        throw new ApiError('KBISECT_ERR_RATE_LIMITED', admitted.scope === 'client'
          ? `token: too many sign-in attempts from this address (${admitted.limit} a minute); try again in ${wait} s`
          : `token: too many sign-in attempts with this token (${admitted.limit} a minute); try again in ${wait} s`, 'token', wait);
      }
      const principal = deps.tokens.lookup(request.body.token);
      if (!principal) throw new ApiError('KBISECT_ERR_UNAUTHENTICATED', 'token: not a valid token', 'token');
      const { sid, session } = await sessions.create(hashToken(request.body.token));
      request.log.info({ user: principal.name }, 'signed in');
      return reply.status(201).header('set-cookie', sessionCookie(sid, SESSION_TTL_SECONDS, secure(request.protocol))).send(viewOf(principal.name, principal.role, principal.commandProbe, session.csrf));
    });

    app.get('/session', {
      schema: { summary: 'Who the session cookie belongs to, and its CSRF token', response: { 200: SessionView, ...errorResponses } },
    }, async (request) => {
      if (!request.session || !request.principal) throw new ApiError('KBISECT_ERR_UNAUTHENTICATED', 'not signed in');
      const p = request.principal;
      return viewOf(p.name, p.role, p.commandProbe, request.session.data.csrf);
    });

    app.delete('/session', {
      schema: { summary: 'Sign out: ends the session', response: { 204: Type.Null(), ...errorResponses } },
    }, async (request, reply) => {
      // The onRequest hook already checked the CSRF token of a cookie request.
      if (request.session) await sessions.destroy(request.session.sid);
      return reply.status(204).header('set-cookie', clearedSessionCookie(secure(request.protocol))).send(null);
    });
  };
}
