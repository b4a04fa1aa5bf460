import type { FastifyInstance } from 'fastify';

/**
 * Sent on every response, errors, 404s and event streams included: no MIME
 * sniffing (evidence and console text are attacker-influenced and must never
 * render as HTML), and a CSP that lets pages load only this origin's own
 * scripts and styles (the /docs UI) and never be framed.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });
}
