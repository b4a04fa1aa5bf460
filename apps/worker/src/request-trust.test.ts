import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealGrant, type BisectionRequest, type Grant, type LogEvent } from '@kbisect/service';
import { capabilitiesOf, gateProblem, needsOf, trustRefusal, type RequestTrust } from './request-trust.js';

type Created = Extract<LogEvent, { type: 'created' }>;

const key = randomBytes(32);
const id = '00000000-0000-4000-8000-0000000000aa';
const at = '2026-11-30T00:00:00.000Z';
const kernel: BisectionRequest = { repo: '/srv/linux', good: ['v6.1'], bad: 'v6.2', probe: { type: 'kernel', configFragments: [], pool: 'virtual', reproducer: { name: 'boot' } } };
const command: BisectionRequest = { ...kernel, probe: { type: 'command', command: 'make check' } };
const networked: BisectionRequest = { ...kernel, probe: { type: 'command', command: 'make check', network: true } };

/** A created event as the API writes it: signed with `key` for a token with these permissions. */
function signed(request: BisectionRequest, permits: { commandProbe?: boolean; network?: boolean } = {}): Created {
  const grant: Grant = sealGrant(key, { id, by: 'ci', at, request }, { role: 'submit', commandProbe: permits.commandProbe ?? true, maxRangeCommits: 1000, network: permits.network ?? false });
  return { type: 'created', at, by: 'ci', request, grant };
}
/** What a Redis neighbour writes: no grant. */
const unsigned = (request: BisectionRequest): Created => ({ type: 'created', at, by: 'ci', request });

const keyed: RequestTrust = { key, allowCommandProbe: true, allowProbeNetwork: true };
const keyless: RequestTrust = { allowCommandProbe: true, allowProbeNetwork: true };
const optedOut: RequestTrust = { ...keyless, acceptUnsigned: true };

const scenarios: [string, Created, RequestTrust, RegExp | undefined][] = [
  ['a signed kernel probe on a worker with the key', signed(kernel), keyed, undefined],
  ['an unsigned kernel probe on a worker with the key', unsigned(kernel), keyed, /carries no signature/],
  ['a kernel probe on a keyless worker', signed(kernel), keyless, /holds no request key .*KBISECT_REQUIRE_SIGNED=0/],
  ['an unsigned kernel probe on a keyless worker', unsigned(kernel), keyless, /holds no request key/],
  ['an unsigned kernel probe on a keyless worker whose operator opted out', unsigned(kernel), optedOut, undefined],
  ['an unsigned command probe on a keyless worker whose operator opted out', unsigned(command), optedOut, /command probe needs a request the API signed/],
  ['a signed command probe', signed(command), keyed, undefined],
  ['a command probe on a worker that runs none', signed(command), { ...keyed, allowCommandProbe: false }, /does not run command probes/],
  ['a command probe of a token that may not', signed(command, { commandProbe: false }), keyed, /token 'ci' may not run command probes/],
  ['a probe asking for the network, token and worker allowing it', signed(networked, { network: true }), keyed, undefined],
  ['a probe asking for the network on a worker that gives none', signed(networked, { network: true }), { ...keyed, allowProbeNetwork: false }, /asks for the network .*KBISECT_PROBE_NETWORK is not 'allow'/],
  ['a probe asking for the network on a worker with the default', signed(networked, { network: true }), { key, allowCommandProbe: true }, /KBISECT_PROBE_NETWORK/],
  ['a probe asking for the network for a token without it', signed(networked, { network: false }), keyed, /token 'ci' may not give command probes the network/],
  ['a network probe whose grant was signed before the permission existed', (() => {
    const grant = sealGrant(key, { id, by: 'ci', at, request: networked }, { role: 'submit', commandProbe: true, maxRangeCommits: 1000 });
    return { type: 'created' as const, at, by: 'ci', request: networked, grant };
  })(), keyed, /may not give command probes the network/],
  ['a probe whose network request was added in Redis after signing', { ...signed(command, { network: true }), request: networked }, keyed, /does not match/],
];

describe('trustRefusal', () => {
  it.each(scenarios)('%s', (_what, created, trust, refused) => {
    const problem = trustRefusal(id, created, trust)?.reason;
    if (refused === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(new RegExp(`^refused by the worker: .*${refused.source}`));
  });
});

describe('gateProblem (the orchestrator, builds ahead: they run no probe)', () => {
  it.each([
    ['a command probe, the gate not running command probes itself', signed(command), { key, allowCommandProbe: false }, undefined],
    ['a network probe, the gate giving probes no network itself', signed(networked, { network: true }), { key, allowCommandProbe: false, allowProbeNetwork: false }, undefined],
    ['a command probe of a token that may not', signed(command, { commandProbe: false }), { key, allowCommandProbe: false }, /token 'ci' may not run command probes/],
    ['a network probe of a token that may not', signed(networked, { network: false }), { key, allowCommandProbe: false }, /may not give command probes the network/],
    ['a request written into Redis', unsigned(command), { key, allowCommandProbe: false }, /carries no signature/],
    ['any probe at a keyless gate', signed(kernel), { allowCommandProbe: false }, /holds no request key/],
  ] as [string, Created, RequestTrust, RegExp | undefined][])('%s', (_what, created, trust, refused) => {
    const problem = gateProblem(id, created, trust);
    if (refused === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(refused);
  });
});

describe('capabilitiesOf and needsOf', () => {
  // Every worker setting, and requests the API accepted: a worker refuses by its own settings exactly when it lacks something the probe needs.
  const settings = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((bits): RequestTrust => ({
    ...(bits & 1 ? { key } : {}), acceptUnsigned: (bits & 2) !== 0, allowCommandProbe: (bits & 4) !== 0, allowProbeNetwork: (bits & 8) !== 0,
  }));
  const accepted: [string, Created][] = [['kernel', signed(kernel)], ['unsigned kernel', unsigned(kernel)], ['command', signed(command)], ['network', signed(networked, { network: true })]];
  it.each(accepted)('agree with trustRefusal on a %s probe under all 16 worker settings', (_what, created) => {
    for (const trust of settings) {
      const refused = trustRefusal(id, created, trust);
      // An unsigned request on a keyed worker is the request's fault, not the worker's: no capability makes it runnable.
      if (refused && !refused.byThisWorker) continue;
      const capable = needsOf(created.request.probe).every((n) => capabilitiesOf(trust).includes(n));
      expect({ trust: { ...trust, key: trust.key !== undefined }, capable }).toEqual({ trust: { ...trust, key: trust.key !== undefined }, capable: refused === undefined });
    }
  });
});
