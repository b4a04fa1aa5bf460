import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { next, toBisectLog } from '@kbisect/bisect';
import { BISECTION_ID, BisectionSubmissionSchema, BisectionViewSchema, ListItemSchema, listItemOf, toView, CURSOR_PATTERN, MailAddressError, ShaSchema as Sha, StatusSchema, SubmissionQuota, VerdictSchema, formatMail, formatReport, mayRunCommandProbes, mayUseProbeNetwork, parseCursor, sealGrant } from '@kbisect/service';
import { ImportLogError, checkImportLog, rangeProblem, submittedEnds } from '@kbisect/service/driver';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { requireRole } from '../plugins/auth.js';
import { StreamHub } from '../sse-hub.js';
import { streamEvents } from '../sse-stream.js';
import { StreamQuota } from '../stream-quota.js';
import { cursorProblem } from './cursor-range.js';
import { checkKernelProbe } from './kernel-probe-check.js';
import { probeProblem } from './probe-problem.js';
import { admit } from './admission.js';
import { WORKER_TIMEOUT_DEFAULTS, limitProblem, withinLimits } from './submission-limits.js';
import { submittedRepo, withDefaultsOfNamedTree } from './submitted-repo.js';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Bisection id' }) });
const Addresses = Type.Array(Type.String({ minLength: 3, maxLength: 320 }), { maxItems: 50, description: 'Extra recipients: repeat the parameter (to=a@b&to=c@d)' });
const ReportQuery = Type.Object({
  format: Type.Union([Type.Literal('text'), Type.Literal('mbox')], { default: 'text' }),
  from: Type.Optional(Type.String({ minLength: 3, maxLength: 320, description: 'mbox: the sender, "Name <addr>"; default KBISECT_MAIL_FROM' })),
  to: Type.Optional(Addresses),
  cc: Type.Optional(Addresses),
  inReplyTo: Type.Optional(Type.String({ minLength: 3, maxLength: 252, description: "mbox: the original report's Message-ID, to answer in its thread" })),
}, { additionalProperties: false });

export function bisectionRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const read = requireRole(deps.tokens, 'read');
    const submit = requireRole(deps.tokens, 'submit');
    const maintain = requireRole(deps.tokens, 'maintain');

    const quota = new SubmissionQuota(deps.redis, deps.store.keys);
    const hub = new StreamHub(deps.redis, deps.store.keys, deps.sseHeartbeatMs ?? 15_000, deps.sseReaderName ?? 'kbisect-sse');
    const streams = new StreamQuota({ total: deps.sseTotalStreams ?? 1000 });
    app.addHook('onClose', async () => hub.close());

    const known = async (id: string): Promise<void> => {
      if (!(await deps.store.exists(id))) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no bisection ${id}`, 'id');
    };

    app.post('/bisections', {
      onRequest: submit,
      preValidation: async (request) => {
        // Before validation the body is still unknown; the checks below see the request with its tree's defaults.
        const unvalidated = request as { body: unknown };
        unvalidated.body = await withDefaultsOfNamedTree(unvalidated.body, deps);
        const problem = probeProblem((request.body as { probe?: unknown } | undefined)?.probe);
        if (problem) throw new ApiError('KBISECT_ERR_VALIDATION', problem.message, problem.field);
      },
      schema: {
        summary: 'Submit a bisection',
        body: BisectionSubmissionSchema,
        response: { 201: Type.Object({ id: Type.String(), status: Type.Literal('queued'), links: Type.Object({ self: Type.String(), events: Type.String(), report: Type.String() }) }), ...errorResponses },
      },
    }, async (request, reply) => {
      // Ends left out come from the imported log's start, as `kbisect run --import-log` takes them.
      const ends = submittedEnds(request.body);
      if (!ends.ok) throw new ApiError('KBISECT_ERR_VALIDATION', ends.message, ends.field);
      const body = ends.request;
      const source = await submittedRepo(body.repo, request.principal!, deps);
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
        if (!mayRunCommandProbes(p)) throw new ApiError('KBISECT_ERR_COMMAND_PROBE_DISABLED', `token '${p.name}' may not submit command probes`, 'probe');
        if (body.probe.network === true && !mayUseProbeNetwork(p)) throw new ApiError('KBISECT_ERR_FORBIDDEN', `probe.network: token '${p.name}' may not give command probes the network`, 'probe.network');
        const mode = body.probe.untestable ?? 'skip';
        if (mode !== 'skip' && (body.options?.requireConfig ?? []).length === 0) throw new ApiError('KBISECT_ERR_VALIDATION', `body.probe.untestable: '${mode}' needs options.requireConfig (the symbols whose BROKEN dependency to drop)`, 'probe.untestable');
      } else {
        await checkKernelProbe(body.probe, deps);
      }
      // The endpoint check is on unless the submitter turned it off, and kernel probes narrow untestable
      // stretches unless told otherwise; both stored explicitly so replays never change.
      const probe = body.probe.type === 'kernel' ? { ...body.probe, untestable: body.probe.untestable ?? ('narrow' as const) } : body.probe;
      const principal = request.principal!;
      const over = limitProblem(body, principal);
      if (over) throw new ApiError('KBISECT_ERR_OVER_LIMIT', over.message, over.field);
      // Last, so a refused request costs no quota.
      const id = await admit(quota, principal, deps.now());
      const { request: stored, filled } = withinLimits({ ...body, repo: source.repo, probe, options: { checkEndpoints: true, ...body.options } }, principal, deps.probeTimeoutDefaults ?? WORKER_TIMEOUT_DEFAULTS);
      const grant = { role: principal.role, commandProbe: mayRunCommandProbes(principal), maxRangeCommits: principal.limits.maxRangeCommits, network: mayUseProbeNetwork(principal), maxTimeoutSec: principal.limits.maxTimeoutSec };
      const key = deps.requestKey;
      await deps.store.create(stored, principal.name, deps.now(), { id, ...(source.tree !== undefined ? { tree: source.tree } : {}), filled, ...(key ? { grant: (fields) => sealGrant(key, fields, grant) } : {}) });
      await deps.enqueueOrchestrate(id);
      const self = `/api/v1/bisections/${id}`;
      return reply.status(201).send({ id, status: 'queued', links: { self, events: `${self}/events`, report: `${self}/report` } });
    });

    app.get('/bisections', {
      onRequest: read,
      schema: {
        summary: 'List bisections, newest first',
        querystring: Type.Object({
          status: Type.Optional(StatusSchema),
          repo: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'Only this tree, as the list shows it: the registered name (or an open URL)' })),
          submittedBy: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only this submitter (token name)' })),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Text in the culprit's (or a candidate's) subject, or a sha prefix" })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ pattern: `^[0-9]+:${BISECTION_ID}$`, description: 'The `next` value of the previous page' })),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(ListItemSchema), next: Type.Optional(Type.String()) }), ...errorResponses },
      },
    }, async (request) => {
      const q = request.query;
      const rowOf = async (id: string) => {
        const { fold } = await deps.store.load(id);
        return listItemOf(toView(id, fold), fold.created?.request);
      };
      const page = await deps.store.list({
        limit: q.limit,
        ...(q.status ? { status: q.status } : {}),
        ...(q.repo !== undefined ? { repo: q.repo } : {}),
        ...(q.submittedBy !== undefined ? { by: q.submittedBy } : {}),
        // Matched against each answered bisection's search summary, so only the page's rows are folded.
        ...(q.q !== undefined ? { text: q.q } : {}),
        ...(q.cursor !== undefined ? { after: q.cursor } : {}),
      });
      const items = await Promise.all(page.items.map((i) => rowOf(i.id)));
      return { items, ...(page.next !== undefined ? { next: page.next } : {}) };
    });

    app.get('/bisections/:id', {
      onRequest: read,
      // The schema documents the JSON; the handler sends it serialized already (cached per change).
      schema: { summary: 'A bisection: the result JSON plus live progress', params: IdParams, response: { 200: Type.Unsafe<string>(BisectionViewSchema), ...errorResponses } },
    }, async (request, reply) => {
      // Rendered once per change of the bisection; a bisection without a log does not exist.
      const json = await deps.store.viewJson(request.params.id);
      if (json === undefined) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no bisection ${request.params.id}`, 'id');
      return reply.type('application/json; charset=utf-8').send(json);
    });

    app.get('/bisections/:id/events', {
      onRequest: read,
      schema: {
        summary: 'Progress as server-sent events, resumable with Last-Event-ID',
        params: IdParams,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: CURSOR_PATTERN, description: 'The id of the last event seen: `<log id>`, or `<log id>.<console id>` once console lines were sent' })) }),
        response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses },
      },
    }, async (request, reply) => {
      await known(request.params.id);
      const from = parseCursor(request.headers['last-event-id']);
      if (!from) throw new ApiError('KBISECT_ERR_VALIDATION', 'last-event-id is not an event id of this stream', 'last-event-id');
      const beyond = await cursorProblem(deps.redis, deps.store.keys, request.params.id, from);
      if (beyond) throw new ApiError('KBISECT_ERR_VALIDATION', beyond, 'last-event-id');
      const principal = request.principal!;
      const release = streams.take(principal.name, principal.limits.sseStreams);
      await streamEvents(request, reply, deps, hub, request.params.id, from, release);
    });

    app.get('/bisections/:id/log', {
      onRequest: read,
      schema: { summary: 'The history as a `git bisect log` that `git bisect replay` accepts', params: IdParams, response: { 200: Type.String(), ...errorResponses } },
    }, async (request, reply) => {
      await known(request.params.id);
      const { replayed } = await deps.store.load(request.params.id);
      if (replayed.phase !== 'bisecting') throw new ApiError('KBISECT_ERR_NOT_READY', 'the bisection has not started bisecting yet');
      return reply.type('text/plain; charset=utf-8').send(toBisectLog(replayed.state));
    });

    app.get('/bisections/:id/report', {
      onRequest: read,
      schema: {
        summary: 'A plain-text report for a mailing-list reply, or (format=mbox) the whole mail',
        params: IdParams,
        querystring: ReportQuery,
        response: { 200: Type.String({ description: 'text/plain, or application/mbox for format=mbox' }), ...errorResponses },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      await known(id);
      const q = request.query;
      if (q.format !== 'mbox') {
        if (q.from !== undefined || q.to !== undefined || q.cc !== undefined || q.inReplyTo !== undefined) throw new ApiError('KBISECT_ERR_VALIDATION', 'from, to, cc and inReplyTo only apply to format=mbox', 'format');
        return reply.type('text/plain; charset=utf-8').send(formatReport(await deps.store.view(id)));
      }
      // The fold keeps what the mail needs beyond the view (the request, the recipients the workers found).
      const [{ fold }, graph] = await Promise.all([deps.store.load(id), deps.store.loadGraph(id)]);
      const view = toView(id, fold);
      if (view.status === 'queued' || view.status === 'running') throw new ApiError('KBISECT_ERR_NOT_READY', `the bisection is ${view.status}; its mail is ready when it ends`);
      // The mail's links must work for its readers: the configured public URL, else how this client reached us.
      const baseUrl = deps.publicUrl ?? `${request.protocol}://${request.host}`;
      const from = q.from ?? deps.mailFrom ?? `kbisect <kbisect@${new URL(baseUrl).hostname || 'localhost'}>`;
      try {
        const mail = formatMail(view, fold, { baseUrl, from, ...(graph ? { order: graph.commits } : {}), ...(q.to ? { to: q.to } : {}), ...(q.cc ? { cc: q.cc } : {}), ...(q.inReplyTo !== undefined ? { inReplyTo: q.inReplyTo } : {}) });
        return await reply.type('application/mbox; charset=utf-8').send(mail);
      } catch (err) {
        if (err instanceof MailAddressError) throw new ApiError('KBISECT_ERR_VALIDATION', err.message, err.field.replace(/\[\d+\]$/, ''));
        throw err;
      }
    });

    app.get('/bisections/:id/evidence/:name', {
      onRequest: read,
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
      onRequest: maintain,
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
      onRequest: maintain,
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
