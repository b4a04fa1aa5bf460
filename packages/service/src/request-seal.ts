import { createHmac, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { BisectionRequest } from './request-schema.js';

/**
 * What the API vouches for when it accepts a submission: who sent it, what
 * their token allows, and an HMAC-SHA256 over all of it and the request,
 * with a key the API and the workers hold and Redis does not. A worker acts
 * on a bisection only after checking it, so a bisection written straight
 * into Redis (or a request edited there) is refused.
 */
export const GrantSchema = Type.Object({
  role: Type.Union([Type.Literal('read'), Type.Literal('submit'), Type.Literal('maintain'), Type.Literal('admin')]),
  commandProbe: Type.Boolean({ description: 'The token may run command probes' }),
  maxRangeCommits: Type.Integer({ minimum: 1, description: "The token's range-size cap, enforced on the range's count before its graph is read" }),
  /** Absent in grants signed before the network permission existed: those mean no network, and verify as they were signed. */
  network: Type.Optional(Type.Boolean({ description: 'The token may give command probes the network' })),
  /** The token's timeout cap, which workers apply too (their own default may be longer than the API knows); absent in older grants. */
  maxTimeoutSec: Type.Optional(Type.Integer({ minimum: 1, description: "The token's cap on a probe's timeout" })),
  sig: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
export type Grant = Static<typeof GrantSchema>;

export interface SealedFields {
  readonly id: string;
  readonly by: string;
  readonly at: string;
  readonly request: BisectionRequest;
}

function mac(key: Buffer, fields: SealedFields, grant: Omit<Grant, 'sig'>): string {
  // An array keeps the order fixed; the request keeps its key order through Redis (JSON in, JSON out).
  // `network` is appended only when the grant has it, so a grant signed before it existed still verifies;
  // the API always writes it now, so dropping it from a new grant breaks the signature.
  const signed = [
    fields.id, fields.by, fields.at, grant.role, grant.commandProbe, grant.maxRangeCommits, fields.request,
    ...(grant.network !== undefined ? [grant.network] : []),
    // Tagged, so it can never read as another optional field's value.
    ...(grant.maxTimeoutSec !== undefined ? [['maxTimeoutSec', grant.maxTimeoutSec]] : []),
  ];
  const text = JSON.stringify(signed);
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

export function sealGrant(key: Buffer, fields: SealedFields, grant: Omit<Grant, 'sig'>): Grant {
  return { ...grant, sig: mac(key, fields, grant) };
}

/** Why a created event is not one the API vouched for; undefined when it is. */
export function grantProblem(key: Buffer, fields: SealedFields, grant: Grant | undefined): string | undefined {
  if (!grant) return 'the request carries no signature from the API';
  const { sig, ...rest } = grant;
  const expected = Buffer.from(mac(key, fields, rest), 'hex');
  const got = Buffer.from(sig, 'hex');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return "the request's signature does not match (it was not submitted through the API, or was changed after)";
  return undefined;
}
