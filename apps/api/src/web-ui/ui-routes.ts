import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UiAsset } from './ui-assets.js';

/** The UI's own addresses: each answers the same page, which routes in the browser. */
const PAGES = ['/', '/signin', '/machines', '/queues', '/submit', '/b/:id'] as const;

function send(request: FastifyRequest, reply: FastifyReply, asset: UiAsset): FastifyReply {
  void reply.header('etag', asset.etag).header('cache-control', 'no-cache');
  if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
  return reply.type(asset.type).send(asset.body);
}

/**
 * Serves the built web UI: pages at their own paths, assets under /ui/.
 * `no-cache` with a content ETag means a browser asks each time and gets
 * 304s until a new build; nothing is built or read from disk per request.
 * The CSP and nosniff come from security-headers.ts, like every response's.
 */
export function uiRoutes(assets: ReadonlyMap<string, UiAsset>) {
  return async (app: FastifyInstance): Promise<void> => {
    const index = assets.get('index.html')!;
    for (const path of PAGES) {
      app.get(path, { schema: { hide: true } }, async (request, reply) => send(request, reply, index));
    }
    app.get<{ Params: { '*': string } }>('/ui/*', { schema: { hide: true } }, async (request, reply) => {
      const asset = assets.get(request.params['*']);
      if (!asset) return reply.status(404).send({ error: { code: 'KBISECT_ERR_NOT_FOUND', message: `no UI asset ${request.params['*']}` } });
      return send(request, reply, asset);
    });
  };
}
