import type { RequestTrust } from './request-trust.js';

/**
 * The trust of tests that write kernel-probe bisections straight into the
 * store, unsigned: a keyless worker whose operator set
 * KBISECT_REQUIRE_SIGNED=0 (command probes stay refused).
 */
export const UNSIGNED_KERNEL_PROBES: RequestTrust = { allowCommandProbe: false, acceptUnsigned: true };
