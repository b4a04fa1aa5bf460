import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { AppDeps } from './app-deps.js';
import { installErrorHandler, onFrameworkError } from './error-handler.js';
import { annotationRoutes } from './routes/annotation-route.js';
import { bisectionRoutes } from './routes/bisections.js';
import { machineRoutes } from './routes/machines.js';
import { queueRoutes } from './routes/queue-routes.js';
import { rangeRoutes } from './routes/range-route.js';
import { retryRoutes } from './routes/retry-route.js';
import { serviceRoutes } from './routes/service-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { installSessionAuth } from './session/session-auth.js';
import { SessionStore } from './session/session-store.js';
import { loadUiAssets } from './web-ui/ui-assets.js';
import { uiRoutes } from './web-ui/ui-routes.js';
import { installSecurityHeaders } from './security-headers.js';
import { treeRoutes } from './routes/trees.js';

/**
 * Builds the API without listening (fastify/demo's app/server split): tests
 * use inject(), the server owns ports and shutdown. The API only reads and
 * enqueues; it never runs git or boots anything.
 */
export async function buildApp(deps: AppDeps, opts: { logger?: Logger | boolean } = {}): Promise<FastifyInstance> {
  const common = {
    bodyLimit: deps.bodyLimit,
    // Open SSE streams must not hold up shutdown.
    forceCloseConnections: true,
    // Router-level errors (a path parameter over maxParamLength is a 414) get the documented body too.
    frameworkErrors: onFrameworkError,
    ajv: { customOptions: { removeAdditional: false as const, coerceTypes: 'array' as const, useDefaults: true, allErrors: false } },
  };
  // pino's Logger is a FastifyBaseLogger; the cast only forgets pino's extra fields.
  const app: FastifyInstance = typeof opts.logger === 'object' ? Fastify({ ...common, loggerInstance: opts.logger as FastifyBaseLogger }) : Fastify({ ...common, logger: opts.logger ?? false });
  // JSON only: any other body is a 415, not a confusing schema error.
  app.removeContentTypeParser('text/plain');
  installErrorHandler(app);
  installSecurityHeaders(app);
  // Browser sessions resolve before every route, so the bearer check and the CSRF check apply everywhere.
  const sessions = new SessionStore(deps.redis, deps.store.keys);
  installSessionAuth(app, sessions, deps.tokens);
  await app.register(swagger, {
    openapi: {
      info: { title: 'kbisect', version: '0.1.0', description: 'Kernel bisection as a service: submit a range and a probe, watch progress, read the culprit.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(bisectionRoutes(deps), { prefix: '/api/v1' });
  await app.register(rangeRoutes(deps), { prefix: '/api/v1' });
  await app.register(retryRoutes(deps), { prefix: '/api/v1' });
  await app.register(annotationRoutes(deps), { prefix: '/api/v1' });
  await app.register(machineRoutes(deps), { prefix: '/api/v1' });
  await app.register(queueRoutes(deps), { prefix: '/api/v1' });
  await app.register(sessionRoutes(deps, sessions), { prefix: '/api/v1' });
  await app.register(treeRoutes(deps), { prefix: '/api/v1' });
  await app.register(serviceRoutes(deps));
  await app.register(uiRoutes(deps.uiAssets ?? (await loadUiAssets())));
  return app;
}
