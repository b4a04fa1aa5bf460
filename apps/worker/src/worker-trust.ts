import type { Logger } from 'pino';
import { readRequestKey } from '@kbisect/service';
import type { RequestTrust } from './request-trust.js';
import type { WorkerConfig } from './worker-config.js';

/**
 * What this worker trusts, read once at start, and what the operator is
 * told: without a request key the worker refuses every bisection (an error
 * line saying so), unless the operator opted out with KBISECT_REQUIRE_SIGNED=0
 * (an error line too, on purpose: anyone who can write to Redis can then
 * have this worker build any tree it can reach).
 */
export async function openRequestTrust(config: Pick<WorkerConfig, 'requestKeyFile' | 'requireSigned' | 'allowCommandProbe' | 'allowProbeNetwork'>, logger: Logger): Promise<RequestTrust> {
  const allowed = { allowCommandProbe: config.allowCommandProbe, allowProbeNetwork: config.allowProbeNetwork };
  if (config.allowProbeNetwork) logger.warn({ probeNetwork: 'allow' }, "KBISECT_PROBE_NETWORK=allow: command probes that ask for it, from tokens allowed it, run with this worker's network");
  if (config.requestKeyFile !== undefined) {
    if (!config.requireSigned) logger.warn('KBISECT_REQUIRE_SIGNED=0 has no effect: this worker holds a request key and checks every request against it');
    return { key: await readRequestKey(config.requestKeyFile), ...allowed };
  }
  if (config.requireSigned) {
    logger.error({ requestKey: 'none' }, 'no request key (KBISECT_REQUEST_KEY_FILE): this worker cannot check the API\'s signature and refuses every bisection (give it the API\'s key, or set KBISECT_REQUIRE_SIGNED=0 to run unsigned kernel probes)');
    return { acceptUnsigned: false, ...allowed };
  }
  logger.error({ requestKey: 'none', requireSigned: false }, 'UNSIGNED WORK ACCEPTED (KBISECT_REQUIRE_SIGNED=0, no KBISECT_REQUEST_KEY_FILE): this worker builds any kernel-probe bisection found in Redis, whoever wrote it; command probes are still refused');
  return { acceptUnsigned: true, ...allowed };
}
