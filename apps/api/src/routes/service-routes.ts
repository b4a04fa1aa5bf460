import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STEP_BUCKETS, readStepMetrics } from '@kbisect/service';
import type { AppDeps } from '../app-deps.js';
import { renderMetrics } from '../prometheus.js';

/** Liveness and Prometheus metrics; unauthenticated, as scrapers and probes expect. */
export function serviceRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', {
      schema: { summary: 'Liveness: the API and its Redis', response: { 200: Type.Object({ ok: Type.Boolean(), redis: Type.String() }), 503: Type.Object({ ok: Type.Boolean(), redis: Type.String() }) } },
    }, async (_request, reply) => {
      try {
        const pong = await deps.redis.ping();
        return { ok: true, redis: pong };
      } catch {
        return reply.status(503).send({ ok: false, redis: 'unreachable' });
      }
    });

    app.get('/metrics', { schema: { summary: 'Prometheus metrics', response: { 200: Type.String() } } }, async (_request, reply) => {
      const queues = await Promise.all(
        Object.entries(deps.queues).map(async ([role, q]) => ({ role, counts: await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized') })),
      );
      const statuses = await deps.store.countByStatus();
      const steps = await readStepMetrics(deps.redis, deps.store.keys);
      return reply.type('text/plain; version=0.0.4').send(renderMetrics({ queues, statuses, steps, buckets: STEP_BUCKETS }));
    });
  };
}
