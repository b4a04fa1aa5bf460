import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { StoreRole } from '@kbisect/service';
import type { ArtifactDisk } from './artifact-disk.js';
import { ARTIFACT_KEY_PATTERN, FILE_NAME_PATTERN } from './artifact-names.js';
import type { ArtifactPuller } from './artifact-puller.js';
import { parseRange } from './byte-range.js';
import { ManifestBodySchema, SHA256_PATTERN, type Manifest, type ManifestBody } from './manifest.js';
import { PIN_HOLDER_PATTERN, type PinTable } from './pin-table.js';
import { SHA256_HEADER } from './store-client.js';
import type { StoreCredentials } from './store-credentials.js';
import { StoreError } from './store-errors.js';

export interface StoreAppDeps {
  readonly disk: ArtifactDisk;
  readonly pins: PinTable;
  readonly credentials: StoreCredentials;
  /** Pull-through cache mode: artifacts missing here come from the upstream store; uploads are refused. */
  readonly upstream?: ArtifactPuller;
}

const KeyParams = Type.Object({ key: Type.String({ pattern: ARTIFACT_KEY_PATTERN }) });
const FileParams = Type.Object({ key: Type.String({ pattern: ARTIFACT_KEY_PATTERN }), name: Type.String({ pattern: FILE_NAME_PATTERN }) });
const PinParams = Type.Object({ holder: Type.String({ pattern: PIN_HOLDER_PATTERN }), key: Type.String({ pattern: ARTIFACT_KEY_PATTERN }) });
const HolderParams = Type.Object({ holder: Type.String({ pattern: PIN_HOLDER_PATTERN }) });

/** Artifacts never change under their key: caches may keep them for good. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === '*');
}

/**
 * The artifact store's routes under /store/v1: a Fastify instance that never
 * listens (start-store.ts owns the port). Every route but /healthz needs a
 * store credential: `lab` to read, `build` to upload and pin.
 */
export async function buildStoreApp(deps: StoreAppDeps, opts: { logger?: FastifyBaseLogger } = {}): Promise<FastifyInstance> {
  // A manifest is small; file bodies bypass the limit (streamed, bounded by the store's size).
  const common = { routerOptions: { maxParamLength: 200 }, bodyLimit: 64 * 1024 };
  const app: FastifyInstance = opts.logger ? Fastify({ ...common, loggerInstance: opts.logger }) : Fastify({ ...common, logger: false });
  // Uploads stream to disk as they arrive, hashed on the way (ArtifactDisk.receive); Fastify never buffers them.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  app.setErrorHandler((err: FastifyError | StoreError, request, reply) => {
    if (err instanceof StoreError) return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message } });
    const validation = (err as FastifyError).validation;
    if (validation && validation.length > 0) {
      const where = (err as FastifyError).validationContext ?? 'request';
      const issue = validation[0]!;
      const missing = typeof issue.params.missingProperty === 'string' ? `.${issue.params.missingProperty}` : '';
      const field = `${where}${issue.instancePath.replace(/\//g, '.')}${missing}`;
      return reply.status(400).send({ error: { code: 'KBISECT_ERR_VALIDATION', message: `${field}: ${issue.message ?? 'is invalid'}`, field } });
    }
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return reply.status(status).send({ error: { code: 'KBISECT_ERR_VALIDATION', message: err.message } });
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'KBISECT_ERR_INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'KBISECT_ERR_NOT_FOUND', message: `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}` } });
  });

  const auth = (role: StoreRole) => async (request: { headers: { authorization?: string | undefined } }): Promise<void> => {
    deps.credentials.require(request.headers.authorization, role);
  };
  // Commits and evictions one at a time: two must not both count the same free space.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const present = async (key: string): Promise<Manifest> => {
    const here = await deps.disk.manifest(key);
    if (here) return here;
    if (deps.upstream) return deps.upstream.ensure(key);
    throw new StoreError('KBISECT_ERR_STORE_NOT_FOUND', `no artifact ${key}`);
  };
  const readOnly = (): void => {
    if (deps.upstream) throw new StoreError('KBISECT_ERR_STORE_READ_ONLY', 'this store is a pull-through cache: upload to its upstream');
  };

  await app.register(async (r) => {
    r.get('/healthz', async () => ({ ok: true, bytes: await deps.disk.totalSize(), limitBytes: deps.disk.limitBytes, mode: deps.upstream ? 'pull-through' : 'store' }));

    r.get<{ Params: { key: string }; Headers: { 'if-none-match'?: string } }>('/artifacts/:key', { schema: { params: KeyParams }, preHandler: auth('lab') }, async (request, reply) => {
      const manifest = await present(request.params.key);
      const etag = `"${manifest.key}"`;
      void reply.header('etag', etag).header('cache-control', IMMUTABLE);
      if (notModified(request.headers['if-none-match'], etag)) return reply.status(304).send();
      return manifest;
    });

    r.get<{ Params: { key: string; name: string }; Headers: { 'if-none-match'?: string; range?: string; 'if-range'?: string } }>('/artifacts/:key/files/:name', { schema: { params: FileParams }, preHandler: auth('lab') }, async (request, reply) => {
      const { key, name } = request.params;
      const manifest = await present(key);
      const file = manifest.files.find((f) => f.name === name);
      if (!file) throw new StoreError('KBISECT_ERR_STORE_NOT_FOUND', `artifact ${key} has no file '${name}'`);
      const path = deps.disk.filePath(key, name);
      const size = (await stat(path).catch(() => undefined))?.size;
      if (size === undefined) throw new StoreError('KBISECT_ERR_STORE_NOT_FOUND', `artifact ${key} has no file '${name}' (evicted)`);
      const etag = `"${file.sha256}"`;
      void reply.header('etag', etag).header('cache-control', IMMUTABLE).header('accept-ranges', 'bytes').header(SHA256_HEADER, file.sha256).header('content-type', 'application/octet-stream');
      if (notModified(request.headers['if-none-match'], etag)) return reply.status(304).send();
      // If-Range with another validator: the client's part is stale, send the whole file.
      const ifRange = request.headers['if-range'];
      const range = parseRange(ifRange === undefined || ifRange === etag ? request.headers.range : undefined, size);
      return sendFile(reply, path, size, range);
    });

    r.put<{ Params: { key: string; name: string }; Headers: Record<string, string | undefined>; Body: Readable }>('/artifacts/:key/files/:name', {
      schema: { params: FileParams, headers: Type.Object({ [SHA256_HEADER]: Type.String({ pattern: SHA256_PATTERN }) }) },
      preHandler: auth('build'),
    }, async (request, reply) => {
      readOnly();
      const { key, name } = request.params;
      const sha256 = request.headers[SHA256_HEADER]!;
      const length = request.headers['content-length'];
      await deps.disk.receive(key, name, request.body, { sha256, ...(length !== undefined && /^\d+$/.test(length) ? { size: Number(length) } : {}) });
      return reply.status(201).send({ name, sha256 });
    });

    r.put<{ Params: { key: string }; Body: ManifestBody }>('/artifacts/:key', { schema: { params: KeyParams, body: ManifestBodySchema }, preHandler: auth('build') }, async (request, reply) => {
      readOnly();
      const { key } = request.params;
      const existed = await deps.disk.manifest(key, { touch: false });
      const manifest = existed ?? (await serial(() => deps.disk.commit(key, request.body, deps.pins.pinned())));
      return reply.status(existed ? 200 : 201).header('etag', `"${key}"`).send(manifest);
    });

    r.put<{ Params: { holder: string; key: string } }>('/pins/:holder/:key', { schema: { params: PinParams }, preHandler: auth('build') }, async (request, reply) => {
      const { holder, key } = request.params;
      if (!(await deps.disk.manifest(key, { touch: false }))) throw new StoreError('KBISECT_ERR_STORE_NOT_FOUND', `no artifact ${key} to pin`);
      await deps.pins.pin(holder, key);
      return reply.status(204).send();
    });

    r.put<{ Params: { holder: string } }>('/pins/:holder', { schema: { params: HolderParams }, preHandler: auth('build') }, async (request) => {
      return { renewed: await deps.pins.renew(request.params.holder) };
    });

    r.delete<{ Params: { holder: string } }>('/pins/:holder', { schema: { params: HolderParams }, preHandler: auth('build') }, async (request) => {
      const released = await deps.pins.release(request.params.holder);
      // What the holder kept may go now, if the store is over its limit.
      await serial(() => deps.disk.evict(deps.pins.pinned()));
      return { released };
    });
  }, { prefix: '/store/v1' });
  return app;
}

function sendFile(reply: FastifyReply, path: string, size: number, range: ReturnType<typeof parseRange>): FastifyReply {
  if (range.kind === 'unsatisfiable') {
    return reply.status(416).header('content-range', `bytes */${size}`).header('content-type', 'application/json')
      .send({ error: { code: 'KBISECT_ERR_STORE_RANGE', message: `range not satisfiable: the file has ${size} bytes` } });
  }
  if (range.kind === 'part') {
    return reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', String(range.end - range.start + 1))
      .send(createReadStream(path, { start: range.start, end: range.end }));
  }
  return reply.status(200).header('content-length', String(size)).send(createReadStream(path));
}
