import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MachineSpecSchema, normalizeMac } from '@kbisect/lab';
import { MachineBusyError, MachineHistory, MachineHistoryEntrySchema, MachineNotFoundError } from '@kbisect/service';
import type { Machine } from '@kbisect/lab';
import { ApiError } from '../api-errors.js';
import type { AppDeps } from '../app-deps.js';
import { errorResponses } from '../error-body.js';
import { requireRole } from '../plugins/auth.js';

const MachineIdParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', description: 'Machine id' }) });

/**
 * What drain and undrain take: an optional reason, kept in the machine's
 * history. No body at all is accepted too, as before undrain took a reason
 * (older CLIs send none).
 */
const ReasonBody = Type.Optional(Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500, description: "Why: shown on the machines page and in the machine's history" })) }, { additionalProperties: false }),
  Type.Null(),
]));

const MachineViewSchema = Type.Intersect([
  MachineSpecSchema,
  Type.Object({
    status: Type.Object({
      state: Type.Union([Type.Literal('ready'), Type.Literal('drained'), Type.Literal('quarantined')]),
      reason: Type.Optional(Type.String()),
      infraFailures: Type.Integer(),
      lastInfraFailure: Type.Optional(Type.String()),
      leasedBy: Type.Optional(Type.String()),
      updatedAt: Type.String(),
    }),
    recent: Type.Optional(Type.Array(MachineHistoryEntrySchema, { description: "The machine's latest tests (bisection, commit, verdict) and infrastructure failures, newest first" })),
  }),
]);

/** Tests and failures shown per machine. */
const RECENT_SHOWN = 10;

/**
 * Lab operators register, drain and undrain machines; everyone who may read
 * sees them. The BMC password is never accepted here, only a reference to
 * where workers read it, so no response can contain it.
 */
export function machineRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const read = requireRole(deps.tokens, 'read');
    const maintain = requireRole(deps.tokens, 'maintain');
    const admin = requireRole(deps.tokens, 'admin');
    const history = new MachineHistory(deps.redis, deps.store.keys);
    const withRecent = async (machines: Machine[]) => {
      const recent = await history.recent(machines.map((m) => m.id), RECENT_SHOWN);
      return machines.map((m) => ({ ...m, recent: recent.get(m.id) ?? [] }));
    };
    const found = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        if (err instanceof MachineNotFoundError) throw new ApiError('KBISECT_ERR_NOT_FOUND', err.message, 'id');
        if (err instanceof MachineBusyError) throw new ApiError('KBISECT_ERR_NOT_READY', err.message, 'id');
        throw err;
      }
    };

    app.get('/machines', {
      onRequest: read,
      schema: {
        summary: 'List machines, with their state and lease',
        querystring: Type.Object({ pool: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(MachineViewSchema) }), ...errorResponses },
      },
    }, async (request) => ({ items: await withRecent(await deps.machines.list(request.query.pool)) }));

    app.post('/machines', {
      onRequest: admin,
      // A literal password must be refused before validation could echo anything about it.
      preValidation: async (request) => {
        const body = request.body as { bmc?: { password?: unknown } } | undefined;
        if (body && typeof body === 'object' && body.bmc && typeof body.bmc === 'object' && typeof body.bmc.password === 'string') {
          throw new ApiError('KBISECT_ERR_VALIDATION', 'bmc.password must be a reference to where workers read the password — {"env": "NAME"} or {"file": "/path"} — never the password itself; nothing was stored', 'bmc.password');
        }
      },
      schema: {
        summary: 'Register a machine (or replace its spec; its state is kept)',
        body: MachineSpecSchema,
        response: { 200: MachineViewSchema, 201: MachineViewSchema, ...errorResponses },
      },
    }, async (request, reply) => {
      const spec = { ...request.body, mac: normalizeMac(request.body.mac) };
      const clash = (await deps.machines.list()).find((m) => m.mac === spec.mac && m.id !== spec.id);
      if (clash) throw new ApiError('KBISECT_ERR_VALIDATION', `mac ${spec.mac} already belongs to machine ${clash.id}: two machines cannot share a per-MAC boot script`, 'mac');
      if (spec.pxe.loader === 'pxelinux' && spec.pxe.method === 'ipxe-http') throw new ApiError('KBISECT_ERR_VALIDATION', 'pxe.method: ipxe-http needs loader ipxe (pxelinux fetches over TFTP only)', 'pxe.method');
      const { created, machine } = await deps.machines.register(spec);
      request.log.info({ machine: machine.id, pool: machine.pool, created }, 'machine registered');
      return reply.status(created ? 201 : 200).send(machine);
    });

    app.get('/machines/:id', {
      onRequest: read,
      schema: { summary: 'One machine', params: MachineIdParams, response: { 200: MachineViewSchema, ...errorResponses } },
    }, async (request) => {
      const machine = await deps.machines.get(request.params.id);
      if (!machine) throw new ApiError('KBISECT_ERR_NOT_FOUND', `no machine ${request.params.id}`, 'id');
      return (await withRecent([machine]))[0]!;
    });

    app.post('/machines/:id/drain', {
      onRequest: maintain,
      schema: {
        summary: 'Take a machine out of service (a running test finishes first)',
        params: MachineIdParams,
        body: ReasonBody,
        response: { 200: MachineViewSchema, ...errorResponses },
      },
    }, async (request) => {
      const by = request.principal!.name;
      const reason = request.body?.reason ?? `drained by ${by}`;
      const machine = await found(() => deps.machines.drain(request.params.id, reason));
      await history.record(machine.id, { kind: 'service', at: deps.now().toISOString(), action: 'drain', by, reason });
      request.log.info({ machine: machine.id, by }, 'machine drained');
      return machine;
    });

    app.post('/machines/:id/undrain', {
      onRequest: maintain,
      schema: {
        summary: 'Put a drained or quarantined machine back in service, failure count cleared; the reason goes to its history',
        params: MachineIdParams,
        body: ReasonBody,
        response: { 200: MachineViewSchema, ...errorResponses },
      },
    }, async (request) => {
      const by = request.principal!.name;
      const machine = await found(() => deps.machines.undrain(request.params.id));
      await history.record(machine.id, { kind: 'service', at: deps.now().toISOString(), action: 'undrain', by, ...(request.body?.reason ? { reason: request.body.reason } : {}) });
      request.log.info({ machine: machine.id, by }, 'machine undrained');
      return machine;
    });

    app.delete('/machines/:id', {
      onRequest: admin,
      schema: { summary: 'Forget a machine (refused while it runs a test)', params: MachineIdParams, response: { 204: Type.Null(), ...errorResponses } },
    }, async (request, reply) => {
      await found(() => deps.machines.remove(request.params.id));
      return reply.status(204).send(null);
    });
  };
}
