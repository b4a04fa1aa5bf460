import { grantProblem, type BisectionRequest, type LogEvent, type TestWorkerCapability } from '@kbisect/service';

type Created = Extract<LogEvent, { type: 'created' }>;

/** What this worker itself allows, from its own configuration; Redis cannot change it. */
export interface RequestTrust {
  /** The API's signing key (KBISECT_REQUEST_KEY_FILE); without it no signature can be checked, and command probes are refused. */
  readonly key?: Buffer;
  /**
   * Without a key: run unsigned kernel probes anyway (the operator's
   * KBISECT_REQUIRE_SIGNED=0). Otherwise a keyless worker refuses every
   * bisection, since it cannot tell one the API accepted from one written
   * into Redis. Ignored when there is a key.
   * @defaultValue false
   */
  readonly acceptUnsigned?: boolean;
  /** Whether this worker runs command probes at all (KBISECT_ALLOW_COMMAND_PROBE). */
  readonly allowCommandProbe: boolean;
  /** Whether this worker gives a command probe that asks for it the network (KBISECT_PROBE_NETWORK=allow). @defaultValue false */
  readonly allowProbeNetwork?: boolean;
}

/** Why this worker will not act on a bisection, and whether only its own settings stand in the way (another worker may take it). */
export interface TrustRefusal {
  readonly reason: string;
  readonly byThisWorker: boolean;
}

/**
 * Why this worker will not act on a bisection, or undefined. Checked before
 * any step and before the range is opened: a bisection written straight into
 * Redis, or edited there, carries no valid signature; a command probe runs
 * only on a worker that allows them, for a token the API said may, and gets
 * the network only where both the worker and the signed grant allow it.
 */
export function trustRefusal(id: string, created: Created, trust: RequestTrust): TrustRefusal | undefined {
  const request = (reason: string): TrustRefusal => ({ reason: `refused by the worker: ${reason}`, byThisWorker: false });
  const worker = (reason: string): TrustRefusal => ({ reason: `refused by the worker: ${reason}`, byThisWorker: true });
  if (trust.key) {
    const problem = grantProblem(trust.key, { id, by: created.by, at: created.at, request: created.request }, created.grant);
    if (problem) return request(problem);
  } else if (!trust.acceptUnsigned) {
    return worker('it holds no request key (KBISECT_REQUEST_KEY_FILE), so it cannot check that the API accepted this request (an operator may set KBISECT_REQUIRE_SIGNED=0 to run unsigned kernel probes)');
  }
  const { probe } = created.request;
  if (probe.type !== 'command') return undefined;
  if (!trust.allowCommandProbe) return worker('this worker does not run command probes (KBISECT_ALLOW_COMMAND_PROBE is off)');
  if (!trust.key || !created.grant) return worker('a command probe needs a request the API signed, and this worker holds no request key (KBISECT_REQUEST_KEY_FILE)');
  if (!created.grant.commandProbe) return request(`token '${created.by}' may not run command probes`);
  if (probe.network === true) {
    if (!trust.allowProbeNetwork) return worker("the command probe asks for the network (probe.network) and this worker gives probes none (KBISECT_PROBE_NETWORK is not 'allow')");
    if (created.grant.network !== true) return request(`token '${created.by}' may not give command probes the network`);
  }
  return undefined;
}

/**
 * What a worker that opens the range and schedules steps, but runs no probe
 * itself (the orchestrator; builds ahead), refuses: the request itself, or
 * one it cannot vouch for (no request key). Which probes it would run is the
 * test workers' to say: an orchestrator without KBISECT_ALLOW_COMMAND_PROBE
 * must not end the command probes its fleet's test workers run.
 */
export function gateProblem(id: string, created: Created, trust: RequestTrust): string | undefined {
  return trustRefusal(id, created, { ...trust, allowCommandProbe: true, allowProbeNetwork: true })?.reason;
}

/** What this worker's own settings let it run (announced with its test slots). */
export function capabilitiesOf(trust: RequestTrust): TestWorkerCapability[] {
  const capabilities: TestWorkerCapability[] = [];
  if (trust.key || trust.acceptUnsigned === true) capabilities.push('requests');
  if (trust.key && trust.allowCommandProbe) capabilities.push('command');
  if (trust.key && trust.allowCommandProbe && trust.allowProbeNetwork === true) capabilities.push('network');
  return capabilities;
}

/** What a worker must be able to run for this probe: a request it can vouch for, command probes, the network. */
export function needsOf(probe: BisectionRequest['probe']): TestWorkerCapability[] {
  if (probe.type !== 'command') return ['requests'];
  return probe.network === true ? ['requests', 'command', 'network'] : ['requests', 'command'];
}
