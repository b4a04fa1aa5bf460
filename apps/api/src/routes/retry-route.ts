import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withoutLimitFills } from '@kbisect/service';
import { API_ERRORS, ApiError, type ApiErrorCode } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { requireRole } from '../plugins/auth.js';

/** The headers that carry who asks: forwarded so the resubmission is checked as the retrying user's own. */
const IDENTITY_HEADERS = ['authorization', 'cookie', 'x-csrf-token'] as const;

/**
 * Retry: the same request submitted again, as a new bisection. It goes
 * through POST /bisections itself (an in-process inject), so every check a
 * submission gets — the retrying user's limits and quota, command-probe
 * permission, the registered tree, the probe — applies to a retry too, and
 * the new bisection's grant is signed for that user, with no second copy.
 */
export function retryRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/bisections/:id/retry', {
      onRequest: requireRole(deps.tokens, 'submit'),
      schema: {
        summary: 'Submit the same request again as a new bisection',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 201: Type.Object({ id: Type.String(), retryOf: Type.String() }), ...errorResponses },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      if (!(await deps.store.exists(id))) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no bisection ${id}`, 'id');
      const { fold } = await deps.store.load(id);
      if (!fold.created) throw new ApiError('KBISECT_ERR_NOT_READY', 'the bisection has no stored request');
      const headers: Record<string, string> = {};
      for (const name of IDENTITY_HEADERS) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      // By the tree's name, as submitted: its path is for admins' eyes only (an error about it would show it), and a re-pointed tree is retried where it points now.
      // Without what the API filled from the first submitter's limits: the retrier's own limits fill those in, or nothing does.
      const { request: stored, tree, filled } = fold.created;
      const submitted = withoutLimitFills(stored, filled ?? []);
      const res = await app.inject({ method: 'POST', url: '/api/v1/bisections', headers, payload: tree !== undefined ? { ...submitted, repo: tree } : submitted });
      if (res.statusCode !== 201) {
        // The submission's own error, field and all (e.g. this user may not submit command probes).
        const { error } = res.json<{ error: { code: string; message: string; field?: string } }>();
        const code = error.code in API_ERRORS ? (error.code as ApiErrorCode) : 'KBISECT_ERR_INTERNAL';
        const retryAfter = Number(res.headers['retry-after']);
        throw new ApiError(code, error.message, error.field, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
      }
      return reply.status(201).send({ id: res.json<{ id: string }>().id, retryOf: id });
    });
  };
}
