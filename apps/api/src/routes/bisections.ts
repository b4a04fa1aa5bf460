import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { next, toBisectLog } from '@kbisect/bisect';
import { validateRepoSource } from '@kbisect/git';
import { BisectionRequestSchema, BisectionViewSchema, ShaSchema as Sha, StatusSchema, VerdictSchema, formatReport } from '@kbisect/service';
import { ImportLogError, checkImportLog, rangeProblem } from '@kbisect/service/driver';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { requireRole } from '../plugins/auth.js';
import { streamEvents } from '../sse-stream.js';
import { checkKernelProbe } from './kernel-probe-check.js';
import { probeProblem } from './probe-problem.js';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Bisection id' }) });

export function bisectionRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const read = requireRole(deps.tokens, 'read');
    const submit = requireRole(deps.tokens, 'submit');
    const maintain = requireRole(deps.tokens, 'maintain');

    const known = async (id: string): Promise<void> => {
      if (!(await deps.store.exists(id))) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no bisection ${id}`, 'id');
    };

    app.post('/bisections', {
      preHandler: submit,
      preValidation: async (request) => {
        const problem = probeProblem((request.body as { probe?: unknown } | undefined)?.probe);
        if (problem) throw new ApiError('KBISECT_ERR_VALIDATION', problem.message, problem.field);
      },
      schema: {
        summary: 'Submit a bisection',
        body: BisectionRequestSchema,
        response: { 201: Type.Object({ id: Type.String(), status: Type.Literal('queued'), links: Type.Object({ self: Type.String(), events: Type.String(), report: Type.String() }) }), ...errorResponses },
      },
    }, async (request, reply) => {
      const body = request.body;
      try {
        validateRepoSource(body.repo, 'repo');
      } catch (err) {
        throw new ApiError('KBISECT_ERR_INVALID_REPO_SOURCE', err instanceof Error ? err.message : 'repo is not acceptable', 'repo');
      }
      const range = rangeProblem({ good: body.good, ...(body.options?.terms ? { terms: body.options.terms } : {}) });
      if (range) throw new ApiError('KBISECT_ERR_VALIDATION', `good: ${range}`, 'good');
      if (body.importLog !== undefined) {
        try {
          checkImportLog(body.importLog, 'importLog');
        } catch (err) {
          if (err instanceof ImportLogError) throw new ApiError('KBISECT_ERR_VALIDATION', err.message, err.field);
          throw err;
        }
      }
      if (body.probe.type === 'command') {
        if (!deps.allowCommandProbe) throw new ApiError('KBISECT_ERR_COMMAND_PROBE_DISABLED', "probe.type 'command' runs a shell command on a worker; this deployment does not accept it over the API", 'probe');
        const p = request.principal!;
        if (!p.commandProbe && p.role !== 'admin') throw new ApiError('KBISECT_ERR_COMMAND_PROBE_DISABLED', `token '${p.name}' may not submit command probes`, 'probe');
      } else {
        await checkKernelProbe(body.probe, deps);
      }
      // The endpoint check is on unless the submitter turned it off; stored explicitly so replays never change.
      const id = await deps.store.create({ ...body, options: { checkEndpoints: true, ...body.options } }, request.principal!.name, deps.now());
      await deps.enqueueOrchestrate(id);
      const self = `/api/v1/bisections/${id}`;
      return reply.status(201).send({ id, status: 'queued', links: { self, events: `${self}/events`, report: `${self}/report` } });
    });

    app.get('/bisections', {
      preHandler: read,
      schema: {
        summary: 'List bisections, newest first',
        querystring: Type.Object({
          status: Type.Optional(StatusSchema),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ pattern: '^[0-9]+:[0-9a-f-]{36}$', description: 'The `next` value of the previous page' })),
        }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Object({ id: Type.String(), status: Type.String(), repo: Type.String(), createdAt: Type.String(), submittedBy: Type.String() })),
            next: Type.Optional(Type.String()),
          }),
          ...errorResponses,
        },
      },
    }, async (request) => {
      const q = request.query;
      const page = await deps.store.list({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.cursor !== undefined ? { after: q.cursor } : {}) });
      return { items: page.items.map((i) => ({ id: i.id, status: i.status, repo: i.repo, createdAt: i.createdAt, submittedBy: i.by })), ...(page.next !== undefined ? { next: page.next } : {}) };
    });

    app.get('/bisections/:id', {
      preHandler: read,
      schema: { summary: 'A bisection: the result JSON plus live progress', params: IdParams, response: { 200: BisectionViewSchema, ...errorResponses } },
    }, async (request) => {
      await known(request.params.id);
      return deps.store.view(request.params.id);
    });

    app.get('/bisections/:id/events', {
      preHandler: read,
      schema: {
        summary: 'Progress as server-sent events, resumable with Last-Event-ID',
        params: IdParams,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]+-[0-9]+$' })) }),
        response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses },
      },
    }, async (request, reply) => {
      await known(request.params.id);
      await streamEvents(request, reply, deps, request.params.id, request.headers['last-event-id']);
    });

    app.get('/bisections/:id/log', {
      preHandler: read,
      schema: { summary: 'The history as a `git bisect log` that `git bisect replay` accepts', params: IdParams, response: { 200: Type.String(), ...errorResponses } },
    }, async (request, reply) => {
      await known(request.params.id);
      const { replayed } = await deps.store.load(request.params.id);
      if (replayed.phase !== 'bisecting') throw new ApiError('KBISECT_ERR_NOT_READY', 'the bisection has not started bisecting yet');
      return reply.type('text/plain; charset=utf-8').send(toBisectLog(replayed.state));
    });

    app.get('/bisections/:id/report', {
      preHandler: read,
      schema: { summary: 'A plain-text report for a mailing-list reply', params: IdParams, response: { 200: Type.String(), ...errorResponses } },
    }, async (request, reply) => {
      await known(request.params.id);
      return reply.type('text/plain; charset=utf-8').send(formatReport(await deps.store.view(request.params.id)));
    });

    app.get('/bisections/:id/evidence/:name', {
      preHandler: read,
      schema: {
        summary: 'Evidence behind a verdict (test output)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,120}$' }) }),
        response: { 200: Type.String(), ...errorResponses },
      },
    }, async (request, reply) => {
      await known(request.params.id);
      const text = await deps.store.getEvidence(request.params.id, request.params.name);
      if (text === undefined) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no evidence '${request.params.name}'`, 'name');
      return reply.type('text/plain; charset=utf-8').send(text);
    });

    app.post('/bisections/:id/cancel', {
      preHandler: maintain,
      schema: {
        summary: 'Cancel a bisection; running work is stopped',
        params: IdParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
        response: { 202: Type.Object({ id: Type.String(), cancelRequested: Type.Boolean() }), ...errorResponses },
      },
    }, async (request, reply) => {
      await known(request.params.id);
      await deps.store.requestCancel(request.params.id, request.principal!.name, request.body?.reason, deps.now());
      await deps.enqueueOrchestrate(request.params.id);
      return reply.status(202).send({ id: request.params.id, cancelRequested: true });
    });

    app.post('/bisections/:id/verdicts', {
      preHandler: maintain,
      schema: {
        summary: "A maintainer's verdict on a commit, at any time",
        params: IdParams,
        body: Type.Object({ commit: Sha, verdict: VerdictSchema, reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
        response: { 202: Type.Object({ id: Type.String(), accepted: Type.Boolean() }), ...errorResponses },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      await known(id);
      const { replayed } = await deps.store.load(id);
      if (replayed.phase !== 'bisecting') throw new ApiError('KBISECT_ERR_NOT_READY', 'the bisection has not started bisecting yet');
      const { commit, verdict } = request.body;
      const reason = request.body.reason ?? `marked ${verdict} by ${request.principal!.name}`;
      const trial = next(replayed.state, { type: 'verdict', commit, verdict, reason, source: 'manual' });
      const rejected = trial.commands.find((c) => c.type === 'rejected');
      if (rejected?.type === 'rejected') throw new ApiError('KBISECT_ERR_VERDICT_REJECTED', rejected.message, 'commit');
      await deps.store.log.appendOnce(id, `verdict:${commit}`, { type: 'verdict', at: deps.now().toISOString(), commit, verdict, reason, source: 'manual', by: request.principal!.name });
      await deps.enqueueOrchestrate(id);
      return reply.status(202).send({ id, accepted: true });
    });
  };
}
