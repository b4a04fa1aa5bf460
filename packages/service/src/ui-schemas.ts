import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from './roles.js';
import { ShaSchema as Sha } from './shared-schemas.js';

/** GET /bisections/:id/range: the commit range as the web UI draws it. */
export const RangeSchema = Type.Object({
  commits: Type.Array(Sha, { description: 'The range in `git rev-list` order (newest first)' }),
  parents: Type.Array(Type.Array(Type.Integer()), { description: 'Parent indices into commits per commit; -1 is a parent outside the range' }),
  subjects: Type.Optional(Type.Array(Type.String())),
  candidates: Type.Array(Sha, { description: 'The commits that may still be the first bad one' }),
  untestable: Type.Record(Type.String(), Type.String(), { description: 'Commits known untestable before any build, with the reason' }),
});
export type RangeView = Static<typeof RangeSchema>;

/** GET /queues: one work queue. */
export const QueueStateSchema = Type.Object({
  role: Type.String({ description: 'orchestrate, build or test' }),
  waiting: Type.Integer(),
  active: Type.Integer(),
  delayed: Type.Integer(),
  failed: Type.Integer(),
  workers: Type.Integer({ description: 'Live worker connections on this queue' }),
  oldestWaitingSince: Type.Optional(Type.String({ description: 'When the oldest waiting job was queued' })),
});
export type QueueState = Static<typeof QueueStateSchema>;

/** GET|POST /session: who is signed in, and the CSRF token their page sends back. */
export const SessionViewSchema = Type.Object({
  name: Type.String(),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  commandProbe: Type.Boolean({ description: 'May submit command probes (and the deployment accepts them)' }),
  csrf: Type.String({ description: 'Send as X-CSRF-Token on every POST/DELETE made with the session cookie' }),
});
export type SessionView = Static<typeof SessionViewSchema>;
