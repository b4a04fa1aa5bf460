import type { FastifyInstance } from 'fastify';

/**
 * Sent on every response, errors, 404s and event streams included: no MIME
 * sniffing (evidence and console text are attacker-influenced and must never
 * render as HTML), and one CSP for every page: only this origin's own
 * scripts, styles, images and fetch/EventSource targets (the web UI under /
 * and /ui/, the /docs UI), never framed. The web UI has no inline script or
 * style; 'unsafe-inline' styles are for /docs alone. onSend sets the header
 * last, so no route can send a second, conflicting policy.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });
}
