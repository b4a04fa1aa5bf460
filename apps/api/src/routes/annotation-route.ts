import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ShaSchema as Sha, VerdictCache } from '@kbisect/service';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { requireRole } from '../plugins/auth.js';

/**
 * A maintainer marks a result invalid or names another culprit, with a
 * reason. It is an event beside the answer (the engine's result is never
 * rewritten), shown on the page and in the report with who and when.
 * Marking a result invalid also takes its runs out of the shared verdict
 * cache, so later bisections test those commits again.
 */
export function annotationRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/bisections/:id/annotations', {
      onRequest: requireRole(deps.tokens, 'maintain'),
      schema: {
        summary: 'Mark the result invalid, or override the culprit, with a reason',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({
          kind: Type.Union([Type.Literal('invalid'), Type.Literal('culprit-override')]),
          culprit: Type.Optional(Sha),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
        }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), accepted: Type.Boolean() }), ...errorResponses },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      const { kind, culprit, reason } = request.body;
      if (!(await deps.store.exists(id))) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no bisection ${id}`, 'id');
      if (kind === 'culprit-override') {
        if (culprit === undefined) throw new ApiError('KBISECT_ERR_VALIDATION', 'culprit: overriding the culprit needs the commit that is', 'culprit');
        const graph = await deps.store.loadGraph(id);
        if (graph && !graph.commits.includes(culprit)) throw new ApiError('KBISECT_ERR_VALIDATION', `culprit: ${culprit.slice(0, 12)} is not in the bisection's range`, 'culprit');
      } else if (culprit !== undefined) {
        throw new ApiError('KBISECT_ERR_VALIDATION', "culprit: only a 'culprit-override' names a culprit", 'culprit');
      }
      await deps.store.log.append(id, { type: 'annotation', at: deps.now().toISOString(), by: request.principal!.name, kind, ...(culprit !== undefined ? { culprit } : {}), reason });
      // An invalid result's runs leave the shared verdict cache: no later bisection takes them.
      if (kind === 'invalid') await new VerdictCache(deps.redis, deps.store.keys).invalidateFrom(id);
      // The overriding culprit becomes searchable in the list (the append dropped the old summary). Last, and
      // not the request's failure: the annotation is kept either way, and a search folds a bisection with no summary.
      await deps.store.refreshSearch(id).catch((err: unknown) => request.log.warn({ err, bisection: id }, 'search summary not stored'));
      request.log.info({ bisection: id, kind, by: request.principal!.name }, 'result annotated');
      return reply.status(201).send({ id, accepted: true });
    });
  };
}
