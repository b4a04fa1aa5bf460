import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UiAsset } from './ui-assets.js';

/** The UI's own addresses: each answers the same page, which routes in the browser. */
const PAGES = ['/', '/signin', '/machines', '/queues', '/submit', '/b/:id'] as const;

/**
 * The pages need nothing but their own origin: no inline script or style,
 * no eval, no framing. (A deployment-wide header may add to this; a
 * browser enforces every policy it is sent.)
 */
export const UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

function send(request: FastifyRequest, reply: FastifyReply, asset: UiAsset): FastifyReply {
  void reply.header('etag', asset.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
  return reply.type(asset.type).send(asset.body);
}

/**
 * Serves the built web UI: pages at their own paths, assets under /ui/.
 * `no-cache` with a content ETag means a browser asks each time and gets
 * 304s until a new build; nothing is built or read from disk per request.
 */
export function uiRoutes(assets: ReadonlyMap<string, UiAsset>) {
  return async (app: FastifyInstance): Promise<void> => {
    const index = assets.get('index.html')!;
    for (const path of PAGES) {
      app.get(path, { schema: { hide: true } }, async (request, reply) => send(request, reply.header('content-security-policy', UI_CSP), index));
    }
    app.get<{ Params: { '*': string } }>('/ui/*', { schema: { hide: true } }, async (request, reply) => {
      const asset = assets.get(request.params['*']);
      if (!asset) return reply.status(404).send({ error: { code: 'KBISECT_ERR_NOT_FOUND', message: `no UI asset ${request.params['*']}` } });
      return send(request, reply, asset);
    });
  };
}
