import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { candidatesOf } from '@kbisect/bisect';
import { RangeSchema } from '@kbisect/service';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { requireRole } from '../plugins/auth.js';

/** The commit range of a bisection, for the web UI's picture of it; a bisection that has not started has none yet. */
export function rangeRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/bisections/:id/range', {
      onRequest: requireRole(deps.tokens, 'read'),
      schema: { summary: 'The commit range: graph, remaining candidates, untestable stretch', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: RangeSchema, ...errorResponses } },
    }, async (request) => {
      const { id } = request.params;
      if (!(await deps.store.exists(id))) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no bisection ${id}`, 'id');
      const { replayed } = await deps.store.load(id);
      if (replayed.phase !== 'bisecting') throw new ApiError('KBISECT_ERR_NOT_READY', 'the bisection has not started bisecting yet');
      const { state } = replayed;
      const { graph } = state;
      return {
        commits: [...graph.commits],
        parents: graph.parents.map((p) => [...p]),
        ...(graph.subjects ? { subjects: [...graph.subjects] } : {}),
        candidates: state.status === 'running' ? candidatesOf(state) : [...(state.candidates ?? (state.culprit ? [state.culprit] : []))],
        untestable: { ...state.untestable },
      };
    });
  };
}
