import { grantProblem, type LogEvent } from '@kbisect/service';

type Created = Extract<LogEvent, { type: 'created' }>;

/** What this worker itself allows, from its own configuration; Redis cannot change it. */
export interface RequestTrust {
  /** The API's signing key (KBISECT_REQUEST_KEY_FILE); without it nothing can be verified and command probes are refused. */
  readonly key?: Buffer;
  /** Whether this worker runs command probes at all (KBISECT_ALLOW_COMMAND_PROBE). */
  readonly allowCommandProbe: boolean;
}

/**
 * Why this worker will not act on a bisection, or undefined. Checked before
 * any step and before the range is opened: a bisection written straight into
 * Redis, or edited there, carries no valid signature; a command probe runs
 * only on a worker that allows them, for a token the API said may.
 */
export function trustProblem(id: string, created: Created, trust: RequestTrust): string | undefined {
  if (trust.key) {
    const problem = grantProblem(trust.key, { id, by: created.by, at: created.at, request: created.request }, created.grant);
    if (problem) return `refused by the worker: ${problem}`;
  }
  if (created.request.probe.type !== 'command') return undefined;
  if (!trust.allowCommandProbe) return 'refused by the worker: this worker does not run command probes (KBISECT_ALLOW_COMMAND_PROBE is off)';
  if (!trust.key || !created.grant) return 'refused by the worker: a command probe needs a request the API signed, and this worker holds no request key (KBISECT_REQUEST_KEY_FILE)';
  if (!created.grant.commandProbe) return `refused by the worker: token '${created.by}' may not run command probes`;
  return undefined;
}
