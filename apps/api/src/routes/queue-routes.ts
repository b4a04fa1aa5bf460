import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { QueueStateSchema } from '@kbisect/service';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { requireRole } from '../plugins/auth.js';

/** The work queues as an operator sees them: depth per role, live workers, the oldest waiting job. */
export function queueRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/queues', {
      onRequest: requireRole(deps.tokens, 'read'),
      schema: { summary: 'Queue depth per role, live workers, oldest waiting job', response: { 200: Type.Object({ items: Type.Array(QueueStateSchema) }), ...errorResponses } },
    }, async () => {
      const items = await Promise.all(Object.entries(deps.queues).map(async ([role, queue]) => {
        const [counts, workers, oldest] = await Promise.all([
          queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
          queue.getWorkersCount(),
          // Oldest first: BullMQ's asc flag reverses its newest-first listing.
          queue.getJobs(['waiting', 'prioritized'], 0, 0, true),
        ]);
        const since = oldest[0]?.timestamp;
        return {
          role,
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
          workers,
          ...(since !== undefined ? { oldestWaitingSince: new Date(since).toISOString() } : {}),
        };
      }));
      return { items };
    });
  };
}
