import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-errors.js';
import { SECURITY_HEADERS } from './security-headers.js';

interface ValidationIssue { instancePath?: string; message?: string; params?: Record<string, unknown> }

/**
 * One handler for every error: schema failures become 400s naming the field,
 * Fastify's body errors keep their 4xx with our codes, and anything unexpected
 * is logged in full but answered as a bare 500.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) {
      if (err.retryAfterSec !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterSec))));
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } });
    }
    const validation = (err as FastifyError).validation as ValidationIssue[] | undefined;
    if (validation && validation.length > 0) {
      const issue = validation[0]!;
      const where = (err as FastifyError).validationContext ?? 'body';
      const missing = typeof issue.params?.missingProperty === 'string' ? `/${issue.params.missingProperty}` : '';
      const extra = typeof issue.params?.additionalProperty === 'string' ? `/${issue.params.additionalProperty}` : '';
      const path = `${issue.instancePath ?? ''}${missing}${extra}`.replace(/^\//, '').replace(/\//g, '.');
      const field = path ? `${where}.${path}` : where;
      const message = extra ? `${field}: unknown field` : `${field}: ${issue.message ?? 'is invalid'}`;
      return reply.status(400).send({ error: { code: 'KBISECT_ERR_VALIDATION', message, field: path || where } });
    }
    const code = (err as FastifyError).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send({ error: { code: 'KBISECT_ERR_BODY_TOO_LARGE', message: 'request body is larger than the limit' } });
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.status(415).send({ error: { code: 'KBISECT_ERR_UNSUPPORTED_MEDIA_TYPE', message: `content type '${request.headers['content-type'] ?? ''}' is not accepted; send application/json` } });
    if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      return reply.status(400).send({ error: { code: 'KBISECT_ERR_INVALID_JSON', message: 'request body is not valid JSON' } });
    }
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: 'KBISECT_ERR_VALIDATION', message: err.message } });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'KBISECT_ERR_INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // The path is the client's own, but a 16 kB one need not come back whole.
    void reply.status(404).send({ error: { code: 'KBISECT_ERR_NOT_FOUND', message: `no route ${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}` } });
  });
}

/** Fastify's `frameworkErrors`: errors the router raises before any hook or handler runs. */
export function onFrameworkError(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  // These replies skip the hooks, so the headers every response carries are set here.
  void reply.headers(SECURITY_HEADERS);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(414).send({ error: { code: 'KBISECT_ERR_URI_TOO_LONG', message: 'a path parameter is longer than the limit (100 characters)' } });
    return;
  }
  void reply.status(400).send({ error: { code: 'KBISECT_ERR_VALIDATION', message: 'the request URL is not valid' } });
}
